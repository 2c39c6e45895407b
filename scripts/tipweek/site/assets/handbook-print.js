/* The handbook's print edition: the handbook page one folder up, laid out in
   A4 pages by Paged.js (loaded after this file), so that its contents can give
   the page each principle starts on. Chromium prints what it shows here. */
(() => {
  "use strict";
  const handbook = new URL("../", document.baseURI);

  function fail(message) {
    const status = document.getElementById("tw-print-status");
    status.textContent = message + " ";
    const link = status.appendChild(document.createElement("a"));
    link.href = handbook.href;
    link.textContent = "Open the handbook";
    document.documentElement.dataset.paged = "failed";
  }

  async function fetchHandbook() {
    let response;
    try {
      response = await fetch(handbook, {credentials: "same-origin"});
    } catch (error) {
      throw new Error(location.protocol === "file:"
        ? "The print edition needs the site served over HTTP (make serve), not opened as a file."
        : "The handbook could not be loaded: " + error.message);
    }
    if (!response.ok) throw new Error(`The handbook could not be loaded (HTTP ${response.status}).`);
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const article = page.querySelector(".md-content article");
    if (!article) throw new Error("The handbook page has no article to print.");
    return article;
  }

  function forPaper(article) {
    // Screen-only pieces stay behind; every link keeps working from this folder.
    article.querySelectorAll(".headerlink, .md-content__button, .tw-print-edition").forEach(e => e.remove());
    for (const el of article.querySelectorAll("[href], [src]")) {
      for (const name of ["href", "src"]) {
        const value = el.getAttribute(name);
        if (value !== null && !value.startsWith("#")) el.setAttribute(name, new URL(value, handbook).href);
      }
    }
    // The contents' page numbers: CSS target-counter() on a link to each principle.
    // They point at the introduction, not at the section: a section may begin
    // at the foot of a page its introduction does not fit on.
    // (By id, not selector: a principle's slug may start with a digit.)
    for (const entry of article.querySelectorAll(".tw-handbook-toc li")) {
      const id = decodeURIComponent(entry.querySelector("a").getAttribute("href").slice(1));
      const section = [...article.querySelectorAll(".tw-handbook-principle")].find(s => s.id === id);
      const intro = section && section.querySelector(".tw-handbook-intro");
      if (!intro) continue;
      intro.id = "tw-starts-" + section.id;
      const number = entry.appendChild(document.createElement("a"));
      number.className = "tw-toc-page";
      number.href = "#" + intro.id;
      number.setAttribute("aria-label", "page");
    }
    return article;
  }

  function toolbar() {
    const bar = document.createElement("div");
    bar.className = "tw-print-bar";
    bar.setAttribute("role", "region");
    bar.setAttribute("aria-label", "Print edition");
    const print = bar.appendChild(document.createElement("button"));
    print.type = "button";
    print.textContent = "Print or save as PDF";
    print.addEventListener("click", () => window.print());
    const back = bar.appendChild(document.createElement("a"));
    back.href = handbook.href;
    back.textContent = "Back to the handbook";
    const count = bar.appendChild(document.createElement("span"));
    count.textContent = `${document.querySelectorAll(".pagedjs_page").length} A4 pages`;
    document.body.prepend(bar);
  }

  /* The sheets scaled to the screen's width when it is narrower than a sheet
     (a phone): each is seen whole, and a reader zooms in as on any page. */
  function fitToScreen() {
    const sheet = document.querySelector(".pagedjs_page");
    if (!sheet) return;
    const width = sheet.offsetWidth; // measured before any scaling
    const fit = () => {
      const room = document.documentElement.clientWidth - 16;
      document.documentElement.style.setProperty("--tw-fit", String(Math.min(1, room / width)));
    };
    fit();
    window.addEventListener("resize", fit);
  }

  window.PagedConfig = {
    auto: true,
    before: async () => {
      try {
        const article = forPaper(await fetchHandbook());
        const main = document.createElement("main");
        main.className = "tw-handbook-paper";
        main.append(...article.childNodes);
        document.body.replaceChildren(main);
      } catch (error) {
        fail(error.message);
      }
    },
    after: () => {
      if (document.documentElement.dataset.paged === "failed") return;
      toolbar();
      fitToScreen();
      document.documentElement.dataset.paged = String(document.querySelectorAll(".pagedjs_page").length);
    },
  };
})();
