# Each target bootstraps .venv itself: a newcomer needs only `make site` and `make test`.
PYTHON ?= python3
export NO_MKDOCS_2_WARNING := 1
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: site serve test check bench clean

# (Re)install when the environment is missing or pyproject.toml changed.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

site: $(STAMP)
	$(BIN)/tipweek check
	$(BIN)/tipweek build --strict
	$(BIN)/tipweek email --out site/email/week.eml

serve: $(STAMP)
	$(BIN)/tipweek serve

check: $(STAMP)
	$(BIN)/tipweek check

test: site
	$(BIN)/python -m pytest

# Performance against a Material blog at 100, 1000 and 5000 tips, then the weekly jobs and the
# preview's edit latency at the real library and those sizes (benchmarks/README.md);
# about 25 minutes. The peers get their own venv in benchmarks/work/ (git-ignored).
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --tips 100,1000,5000

clean:
	rm -rf site $(VENV)
