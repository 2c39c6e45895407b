/* tipweek's search box: the header's input, over Pagefind's pagefind.js.
 *
 * Pages load first: Pagefind's script, its WebAssembly and the index entry
 * are fetched once the page is idle after its load (or at once when the box
 * gets focus), so the first query pays only for its own index chunks, as
 * the old search had its index ready. Each query downloads only the index
 * chunks for its words and the fragments of the results it shows.
 */
(function () {
  "use strict";

  var PAGE_SIZE = 10;
  var DEBOUNCE_MS = 90; // long enough to skip the words in between, short enough not to be felt
  var AT_ONCE_FROM = 3; // letters typed before a search runs without waiting for a pause

  var box = document.querySelector("[data-tw-search]");
  var toggle = document.getElementById("__search");
  if (!box || !toggle) return;

  var input = box.querySelector(".md-search__input");
  var status = box.querySelector("#tw-search-status");
  var list = box.querySelector("#tw-search-results");
  var filter = box.querySelector("[data-tw-search-filter]");
  var more = box.querySelector("[data-tw-search-more]");
  var clear = box.querySelector("[data-tw-search-clear]");
  var root = new URL(box.getAttribute("data-tw-root").replace(/\/?$/, "/"), location.href);

  var pagefind = null; // the promise of the loaded module
  var timer = 0;
  var latest = 0; // the number of the newest query
  var running = 0; // searches under way: while there is one, a keystroke waits for a pause
  var shown = { results: [], next: 0, query: 0 }; // the newest list on screen, or being drawn

  function say(text) {
    status.textContent = text;
  }

  function setOpen(open) {
    if (toggle.checked === open) return;
    toggle.checked = open;
    toggle.dispatchEvent(new Event("change")); // Material locks the page's scroll on phones
  }

  function load() {
    if (!pagefind) {
      pagefind = import(new URL("pagefind/pagefind.js", root).href).then(function (module) {
        return module.options({ baseUrl: root.pathname, excerptLength: 24 }).then(function () {
          module.init().catch(function () {}); // the WebAssembly and the page list, while the words are typed
          // The principles fill in when they come; a search never waits for them.
          module.filters().then(function (filters) { fillFilter(filters.principle || {}); })
            .catch(function () {});
          return module;
        });
      });
      pagefind.catch(function () {
        say("Search is not available: its index was not found.");
      });
    }
    return pagefind;
  }

  function fillFilter(counts) {
    Object.keys(counts).sort().forEach(function (name) {
      var option = document.createElement("option");
      option.value = name;
      option.textContent = name + " (" + counts[name] + ")";
      filter.appendChild(option);
    });
  }

  function schedule() {
    clearTimeout(timer);
    var query = ++latest;
    var term = input.value.trim();
    if (pagefind && term) {
      pagefind.then(function (pf) { return pf.preload(term); }).catch(function () {});
    }
    // Results while typing, as the old search gave them: once a few letters
    // are in, a keystroke searches at once unless a search is still running;
    // then it waits for a pause, so the last word typed is always searched.
    if (!running && term.length >= AT_ONCE_FROM) run(query);
    else timer = setTimeout(function () { run(query); }, DEBOUNCE_MS);
  }

  function run(query) {
    var term = input.value.trim();
    var principle = filter.value;
    if (!term && !principle) {
      show(query, [], "Type a word to search the tips.");
      return;
    }
    running++;
    load().then(function (pf) {
      var options = principle ? { filters: { principle: principle } } : {};
      return pf.search(term || null, options);
    }).then(function (search) {
      running--;
      if (query < shown.query || !search) return; // a newer list is on screen already
      var count = search.results.length;
      var within = principle ? " in " + principle : "";
      var found = count === 0
        ? "No tip matches " + (term ? "\u201c" + term + "\u201d" : "") + within + "."
        : count + (count === 1 ? " result" : " results") + within + ".";
      show(query, search.results, found);
    }, function () { running--; }).catch(function () {});
  }

  /* The old results stay until newer ones are ready (an answer never
     replaces a newer one), and the status line announces only the answer
     to what is in the box now: no flicker, nothing said too early. */
  function show(query, results, text) {
    if (query < shown.query) return Promise.resolve(false);
    shown = { results: results, next: 0, query: query };
    more.hidden = true; // until this list's first page is drawn: "more" must continue this list
    return page(true).then(function (done) {
      if (done && query === latest) say(text);
    });
  }

  function page(replace) {
    var batch = shown.results.slice(shown.next, shown.next + PAGE_SIZE);
    var query = shown.query;
    shown.next += batch.length;
    return Promise.all(batch.map(function (r) { return r.data(); })).then(function (pages) {
      if (query !== shown.query) return false; // a newer list came meanwhile
      if (replace) list.textContent = "";
      pages.forEach(function (data) { list.appendChild(item(data)); });
      more.hidden = shown.next >= shown.results.length;
      return true;
    });
  }

  function item(data) {
    var li = document.createElement("li");
    li.className = "md-search-result__item tw-result";
    var a = document.createElement("a");
    a.className = "md-search-result__link tw-result__link";
    a.href = data.url;
    var title = document.createElement("span");
    title.className = "tw-result__title";
    title.textContent = data.meta.title || data.url;
    var meta = document.createElement("span");
    meta.className = "tw-result__meta";
    var principles = (data.filters && data.filters.principle) || [];
    meta.textContent = [data.meta.date || data.meta.kind || ""].concat(principles.join(", "))
      .filter(Boolean).join(" \u00b7 ");
    var excerpt = document.createElement("span");
    excerpt.className = "tw-result__excerpt";
    excerpt.appendChild(marked(data.excerpt || ""));
    a.append(title, meta, excerpt);
    li.appendChild(a);
    return li;
  }

  /* Pagefind's excerpt is escaped text with <mark> around the matched words:
     keep exactly that, and nothing else, as nodes. */
  function marked(excerpt) {
    var out = document.createDocumentFragment();
    var parts = excerpt.split(/<(\/?)mark>/);
    var inMark = false;
    var decode = document.createElement("textarea");
    parts.forEach(function (part, i) {
      if (i % 2 === 1) { inMark = part !== "/"; return; }
      decode.innerHTML = part;
      var text = document.createTextNode(decode.value);
      if (inMark) {
        var mark = document.createElement("mark");
        mark.appendChild(text);
        out.appendChild(mark);
      } else {
        out.appendChild(text);
      }
    });
    return out;
  }

  function links() {
    return Array.prototype.slice.call(list.querySelectorAll("a"));
  }

  /* Arrow keys walk input -> results; Escape closes; Enter opens (links do that themselves). */
  function onKey(event) {
    var all = links();
    var at = all.indexOf(document.activeElement);
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    } else if (event.key === "ArrowDown" && (document.activeElement === input || at >= 0)) {
      event.preventDefault();
      if (all[at + 1]) all[at + 1].focus();
    } else if (event.key === "ArrowUp" && at >= 0) {
      event.preventDefault();
      (at > 0 ? all[at - 1] : input).focus();
    } else if (event.key === "Enter" && document.activeElement === input && all[0]) {
      event.preventDefault();
      all[0].click();
    }
  }

  function close() {
    setOpen(false);
    if (box.contains(document.activeElement)) document.activeElement.blur();
  }

  function typingInto(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  input.addEventListener("focus", function () { setOpen(true); load(); });
  window.addEventListener("load", function () {
    (window.requestIdleCallback || function (warm) { setTimeout(warm, 300); })(function () { load(); });
  });
  input.addEventListener("input", schedule);
  filter.addEventListener("change", function () { latest++; run(latest); });
  more.addEventListener("click", function () { page(false); });
  clear.addEventListener("click", function () { input.value = ""; schedule(); input.focus(); });
  box.addEventListener("keydown", onKey);
  box.addEventListener("focusout", function (event) {
    if (event.relatedTarget && !box.contains(event.relatedTarget)) setOpen(false);
  });
  // The header's magnifier (on phones) ticks the toggle: take the focus there.
  toggle.addEventListener("change", function () {
    if (toggle.checked && document.activeElement !== input) input.focus();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typingInto(document.activeElement)) return;
    event.preventDefault();
    input.focus();
  });
})();
