# Each target bootstraps .venv itself: a newcomer needs only `make site` and `make test`.
PYTHON ?= python3
export NO_MKDOCS_2_WARNING := 1
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: site serve list list-secret test check bench clean

# (Re)install when the environment is missing or pyproject.toml changed.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# Check the tips, build, then check the built site: every page, feed, email web
# version and the search index there, and no scheduled or draft tip in any of them.
site: $(STAMP)
	$(BIN)/tipweek check
	$(BIN)/tipweek build --strict
	$(BIN)/tipweek check --site site
	$(BIN)/tipweek email --out .tipweek/week.eml

serve: $(STAMP)
	$(BIN)/tipweek serve

# The subscription service on 127.0.0.1:8025 (a development secret in .tipweek/ unless
# TIPWEEK_LIST_SECRET is set) and the preview, whose Subscribe page signs up there;
# confirmation emails land in .tipweek/outbox/. Ctrl-C stops both, and so does either one
# stopping by itself (a service that cannot start leaves no form posting to a dead port):
# then make exits with that one's status, and says which one it was. (bash for `wait -n -p`: the first of the two to end.)
list: SHELL := /bin/bash
list: $(STAMP) list-secret
	@export TIPWEEK_LIST_SECRET=$${TIPWEEK_LIST_SECRET:-$$(cat .tipweek/list-secret)}; \
	$(BIN)/tipweek list serve & service=$$!; \
	$(BIN)/tipweek serve --list-url http://127.0.0.1:8025 & preview=$$!; \
	trap 'stopped=1; kill $$service $$preview 2>/dev/null' INT TERM; \
	wait -n -p ended $$service $$preview; status=$$?; \
	kill $$service $$preview 2>/dev/null; wait; \
	if [ -n "$$stopped" ]; then exit 130; fi; \
	if [ "$$ended" = "$$service" ]; then echo "make list: the list service stopped (exit $$status), so the preview is stopped too" >&2; \
	elif [ "$$ended" = "$$preview" ]; then echo "make list: the preview stopped (exit $$status), so the list service is stopped too" >&2; fi; \
	exit $$(( status ? status : 1 ))

# The development secret, made once and readable by its owner alone (an older one is made so too);
# .tipweek/ too, as the list's database, ledgers and outbox in it hold addresses.
list-secret:
	@mkdir -p -m 700 .tipweek && chmod 700 .tipweek
	@test -s .tipweek/list-secret || (umask 077 && \
		$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(32))" > .tipweek/list-secret)
	@chmod 600 .tipweek/list-secret

check: $(STAMP)
	$(BIN)/tipweek check

# Microsoft's Adaptive Cards renderer, which the tests run in Chromium on the Teams card,
# installed from the committed lock file into tests/js/node_modules (git-ignored).
RENDERERS := tests/js/node_modules/.installed
$(RENDERERS): tests/js/package.json tests/js/package-lock.json
	npm ci --prefix tests/js --no-audit --no-fund
	touch $(RENDERERS)

test: site $(RENDERERS)
	$(BIN)/python -m pytest

# Performance against a Material blog at 100, 1000 and 5000 tips, then the weekly jobs and the
# preview's edit latency at the real library and those sizes (benchmarks/README.md);
# about 25 minutes. The peers get their own venv in benchmarks/work/ (git-ignored).
# Then send's throughput to a slow local SMTP server over 1, 4 and 8 connections
# (about 6 minutes), the list service under load (about 10 minutes), and send's peak memory and
# messages/s at 10k, 100k and 1M subscribers, from a CSV file and from PostgreSQL
# (benchmarks/send_scale.py; an hour or more).
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --tips 100,1000,5000
	$(BIN)/python benchmarks/throughput.py
	$(BIN)/python benchmarks/list_load.py
	$(BIN)/python benchmarks/send_scale.py --sizes 10000,100000,1000000

clean:
	rm -rf site $(VENV)
