/* tipweek's search box: the header's input, over Pagefind's pagefind.js.
 *
 * Pagefind's script, its WebAssembly and the index entry are fetched as the
 * page loads, so the first query pays only for its own index chunks; a
 * small index is fetched whole soon after, so its queries pay nothing. Each
 * query of a large one downloads only the index chunks for its words and the
 * fragments of the results it shows.
 *
 * A large library's index comes in parts (pagefind/tipweek-parts.json lists
 * them): each part is its own copy of pagefind.js with its own worker, all
 * are searched at once and their answers merged by score, as Pagefind's
 * mergeIndex does, so each of the reader's cores takes a share of a word
 * found in nearly every tip.
 *
 * What the box knows between events lives in one object, ``state``; a
 * query's number drops answers older than what is on screen, and a failure
 * is logged (console.warn, with what was tried), never silently dropped.
 */
(function () {
  "use strict";

  var PAGE_SIZE = 10;
  var DEBOUNCE_MS = 90; // long enough to skip the words in between, short enough not to be felt
  // Letters typed before a search runs without waiting for a pause: from the
  // first while the index is small enough for a one-letter word to be quick;
  // from the third in a large one.
  var AT_ONCE_FROM = 3;
  var SMALL_INDEX = 1500; // pages
  var MAIN_THREAD_PAGES = 300;
  // An index whose word chunks and page texts weigh less than this is
  // fetched whole a moment after the page has loaded (the real library's:
  // 125 KB), so no search waits for a download.
  var WHOLE_INDEX_BYTES = 200 * 1024;
  var AFTER_LOAD_MS = 500;
  var EVERY_WORD = "a b c d e f g h i j k l m n o p q r s t u v w x y z 0 1 2 3 4 5 6 7 8 9";

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
  var bundle = new URL("pagefind/", root);

  var state = {
    pagefind: null, // the promise of the loaded index (all its parts)
    atOnceFrom: AT_ONCE_FROM,
    wholeWords: null, // fetches every word chunk of a small index
    timer: 0, // the pause before a short word is searched
    latest: 0, // the number of the newest query
    running: false, // a search is under way (until its first page is drawn)
    waiting: 0, // the newest query asked meanwhile
    shown: { results: [], next: 0, query: 0, placed: 0 }, // the list on screen
    // The address of the result the reader moved to (arrow keys, Tab): a redraw
    // gives its new link the focus, so Enter opens what the reader chose.
    highlight: null,
    counted: null // the principles' counts for the words in the box
  };

  /* A failure the box can live with, logged with what was tried. */
  function warn(what) {
    return function (error) { console.warn("tipweek search: " + what + " failed:", error); };
  }

  function say(text) {
    status.textContent = text;
  }

  function setOpen(open) {
    if (toggle.checked === open) return;
    toggle.checked = open;
    toggle.dispatchEvent(new Event("change")); // Material locks the page's scroll on phones
  }

  function load() {
    if (!state.pagefind) {
      // The list of parts and the first part's script are fetched together.
      // Never an old list from the browser's cache with new parts (Pagefind does the same for its entry).
      var manifest = fetch(new URL("tipweek-parts.json?ts=" + Date.now(), bundle)).then(function (response) {
        return response.ok ? response.json() : {};
      }).catch(function (error) { warn("fetching the list of the index's parts")(error); return {}; });
      var first = part(bundle, manifest);
      first.catch(function () {}); // answered below, with the others
      state.pagefind = manifest.then(function (found) {
        if (found.pages <= SMALL_INDEX) state.atOnceFrom = 1;
        var others = (found.parts || []).map(function (path) { return part(new URL(path, bundle), manifest); });
        return Promise.all([first].concat(others)).then(index).then(function (pf) {
          if (found.index_bytes + found.fragment_bytes <= WHOLE_INDEX_BYTES) {
            state.wholeWords = function () { return pf.preload(EVERY_WORD); };
            if (document.activeElement === input) state.wholeWords().catch(warn("fetching the whole index"));
            idle(function () { warm(pf); });
          }
          return pf;
        });
      });
      state.pagefind.then(function (pf) {
        // The principles fill in when they come; a search never waits for them.
        pf.filters().then(function (filters) { fillFilter(filters.principle || {}); }).catch(warn("reading the principles"));
      }, function (error) {
        warn("loading the index")(error);
        say("Search is not available: its index was not found.");
      });
    }
    return state.pagefind;
  }

  /* One part: its own module, started at once, in a worker of its own; a
     small index in one part is searched on the page's thread instead, as its
     searches take a few milliseconds and a worker costs a script and a
     start-up before the first one. */
  function part(base, manifest) {
    return Promise.all([import(new URL("pagefind.js", base).href), manifest]).then(function (loaded) {
      var module = loaded[0], found = loaded[1];
      var small = found.pages <= MAIN_THREAD_PAGES && !(found.parts || []).length;
      var options = { baseUrl: root.pathname, excerptLength: 24, noWorker: small };
      return module.options(options).then(function () {
        module.init().catch(warn("starting Pagefind")); // the WebAssembly and the page list, while the words are typed
        return module;
      });
    });
  }

  /* ``work`` a moment after the page has loaded, once the browser has
     nothing else to do. */
  function idle(work) {
    function later() {
      setTimeout(function () { (window.requestIdleCallback || setTimeout)(work); }, AFTER_LOAD_MS);
    }
    if (document.readyState === "complete") later();
    else window.addEventListener("load", later);
  }

  /* A small index fetched whole: its word chunks, then the text of every page
     a few at a time, so a search answers without a download. Not once the
     reader is in the box: their own search goes first. */
  function warm(pf) {
    if (state.latest || document.activeElement === input) return;
    state.wholeWords().then(function () {
      return pf.search(null, {});
    }).then(function (all) {
      var rest = all.results.slice();
      (function next() {
        if (state.latest || !rest.length) return;
        Promise.all(rest.splice(0, 6).map(function (r) { return r.data(); })).then(next, warn("fetching page texts"));
      })();
    }).catch(warn("fetching the whole index"));
  }

  /* The parts as one index: each searched at once, the answers merged by score. */
  function index(parts) {
    function all(method, args) {
      return Promise.all(parts.map(function (p) { return p[method].apply(p, args); }));
    }
    return {
      preload: function (term) { return all("preload", [term]); },
      search: function (term, options) {
        return all("search", [term, options]).then(function (answers) {
          var results = [];
          answers.forEach(function (answer) { if (answer) results = results.concat(answer.results); });
          return { results: results.sort(function (a, b) { return b.score - a.score; }),
                   totalFilters: merged(answers.map(function (answer) { return (answer || {}).totalFilters; })) };
        });
      },
      filters: function () { return all("filters", []).then(merged); }
    };
  }

  /* Pagefind's counts per filter value, summed over the parts. */
  function merged(answers) {
    var sum = {};
    answers.forEach(function (filters) {
      Object.keys(filters || {}).forEach(function (name) {
        var counts = sum[name] = sum[name] || {};
        Object.keys(filters[name]).forEach(function (value) {
          counts[value] = (counts[value] || 0) + filters[name][value];
        });
      });
    });
    return sum;
  }

  function fillFilter(counts) {
    Object.keys(counts).sort().forEach(function (name) {
      var option = document.createElement("option");
      option.value = name;
      option.textContent = name;
      filter.appendChild(option);
    });
    countFilter(state.counted); // an answer that came before the principles
  }

  /* Beside each principle, how many of the results for the words in the box
     it holds (what choosing it would leave); no numbers without words. */
  function countFilter(counts) {
    state.counted = counts;
    Array.prototype.forEach.call(filter.options, function (option) {
      if (!option.value) return;
      option.textContent = option.value + (counts ? " (" + (counts[option.value] || 0) + ")" : "");
    });
  }

  function schedule() {
    clearTimeout(state.timer);
    var query = ++state.latest;
    var term = input.value.trim();
    // Results while typing: once enough letters are in, a keystroke searches
    // at once; shorter words wait for a pause.
    if (term.length >= state.atOnceFrom) {
      ask(query);
      return;
    }
    if (state.pagefind && term) { // the index chunks for the word, while the pause comes
      state.pagefind.then(function (pf) { return pf.preload(term); }).catch(warn("preloading \u201c" + term + "\u201d"));
    }
    state.timer = setTimeout(function () { ask(query); }, DEBOUNCE_MS);
  }

  /* One search at a time, until its first page is drawn: a newer one waits
     and then runs for what is in the box by then, so the words in between
     are skipped and Pagefind's workers never fetch an old list's results
     while a newer search waits behind them. */
  function ask(query) {
    if (state.running) state.waiting = Math.max(state.waiting, query);
    else run(query);
  }

  function run(query) {
    var term = input.value.trim();
    var principle = filter.value;
    if (!term && !principle) {
      show(query, [], "Type a word to search the tips.", null);
      return;
    }
    state.running = true;
    load().then(function (pf) {
      var options = principle ? { filters: { principle: principle } } : {};
      return pf.search(term || null, options);
    }).then(function (search) {
      if (query < state.shown.query) return null; // a newer list is on screen already
      var count = search.results.length;
      var within = principle ? " in " + principle : "";
      var found = count === 0
        ? "No tip matches " + (term ? "\u201c" + term + "\u201d" : "") + within + "."
        : count + (count === 1 ? " result" : " results") + within + ".";
      // The next search waits for this list's first page, or a second at most
      // if a fragment is slow to come.
      var counts = term ? (search.totalFilters || {}).principle || {} : null;
      return Promise.race([show(query, search.results, found, counts), delay(1000)]);
    }).catch(warn("searching for \u201c" + term + "\u201d")).then(function () {
      state.running = false;
      if (state.waiting) {
        var next = state.waiting;
        state.waiting = 0;
        run(next);
      }
    });
  }

  /* The old results stay until newer ones come, and a list is drawn as its
     results' data arrives, top first, unless a newer list was drawn
     meanwhile: while a word is typed, each answer shows in turn and none
     replaces a newer one; the status line (and the principles' counts)
     announce only the answer to what is in the box now, once its first page
     is drawn. */
  function show(query, results, text, counts) {
    if (query < state.shown.query) return Promise.resolve();
    return draw({ results: results, next: 0, query: query, placed: 0 }, true).then(function () {
      if (state.shown.query === query && query === state.latest) {
        say(text);
        countFilter(counts);
      }
    });
  }

  function delay(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  /* Draws the next page of a list, each result as soon as it and those above
     it have come; a fresh list takes over from the one on screen with its
     first result, and replaces the old results one by one (those it has
     not reached yet stay until it has drawn its page). Resolves to whether
     the whole page was drawn. */
  function draw(of, fresh) {
    var batch = of.results.slice(of.next, of.next + PAGE_SIZE);
    of.next += batch.length;
    var drawn = 0;
    function ours() {
      if (!fresh || drawn > 0) return state.shown === of;
      if (of.query < state.shown.query) return false; // a newer list is on screen
      state.shown = of;
      more.hidden = true;
      return true;
    }
    if (!fresh) more.hidden = true; // until the page is in, as a fresh list's: "more" continues from its end
    var chain = Promise.resolve(batch.length > 0 || ours());
    batch.forEach(function (result) {
      var data = result.data();
      data.catch(function () {}); // answered in turn below, or not needed
      chain = chain.then(function (going) {
        return going && data.then(function (page) {
          if (!ours()) return false;
          place(item(page), of);
          drawn++;
          return true;
        });
      });
    });
    return chain.then(function (whole) {
      if (state.shown === of) {
        trim(of);
        more.hidden = of.next >= of.results.length;
      }
      return whole;
    }, function () {
      if (state.shown === of) trim(of);
      return false;
    });
  }

  /* The list's results are in list.children[0 .. of.placed - 1]; those after
     them are the old list's. A result takes the next place; the one with
     the reader's focus keeps it until its own result comes (it then gets
     the new link's focus, in the same turn, so no key press falls between),
     or the new list has drawn its page without it. */
  function place(li, of) {
    var focused = list.contains(document.activeElement) ? document.activeElement.closest("li") : null;
    var old = list.children[of.placed] || null;
    var link = li.querySelector("a");
    if (focused && link.href === state.highlight && Array.prototype.indexOf.call(list.children, focused) >= of.placed) {
      list.insertBefore(li, old);
      link.focus();
      focused.remove();
    } else if (old && old !== focused) {
      list.replaceChild(li, old);
    } else {
      list.insertBefore(li, old);
    }
    of.placed++;
  }

  /* The old list's last results go once the new page is drawn; if the
     reader's result went with them, the keys stay in the box, on the input. */
  function trim(of) {
    var lost = false;
    while (list.children.length > of.placed) {
      var last = list.lastElementChild;
      lost = lost || last.contains(document.activeElement);
      last.remove();
    }
    if (lost) {
      state.highlight = null;
      input.focus();
    }
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

  input.addEventListener("focus", function () {
    setOpen(true);
    // A small index: every word chunk at once (Pagefind fetches each once), before the first letter.
    if (state.wholeWords) state.wholeWords().catch(warn("fetching the whole index"));
  });
  // Started with the page: a first visit fetches Pagefind (about 160 KB),
  // and a reader who clicks into the box finds it ready.
  load();
  input.addEventListener("input", schedule);
  filter.addEventListener("change", function () {
    clearTimeout(state.timer);
    ask(++state.latest);
  });
  more.addEventListener("click", function () { draw(state.shown, false); });
  list.addEventListener("focusin", function (event) {
    var link = event.target.closest("a");
    if (link) state.highlight = link.href;
  });
  input.addEventListener("focusin", function () { state.highlight = null; });
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
