// packgen's only script. The pages work without it; it adds searching the pupils table, a busy
// state on buttons that make documents, and live progress while the pack builds.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Search: filters rows in the browser, so what is typed (often a name) never reaches a URL or a log.
  for (const box of document.querySelectorAll("[data-search-for]")) {
    const table = document.getElementById(box.dataset.searchFor);
    const input = box.querySelector("input");
    const count = box.querySelector("[data-search-count]");
    const empty = document.querySelector("[data-search-empty]");
    const rows = Array.from(table.querySelectorAll("[data-search-row]"));
    const fold = (text) => text.normalize("NFD").replace(/\p{M}/gu, "").toLocaleLowerCase();
    const texts = rows.map((row) => fold(row.textContent));
    box.hidden = false;
    input.addEventListener("input", () => {
      const words = fold(input.value).split(/\s+/).filter(Boolean);
      let shown = 0;
      rows.forEach((row, i) => {
        const match = words.every((w) => texts[i].includes(w));
        row.hidden = !match;
        shown += match ? 1 : 0;
      });
      count.textContent = words.length ? `${shown} of ${rows.length} pupils shown` : "";
      empty.hidden = shown > 0;
    });
  }

  // A button that makes a document says so while LibreOffice works.
  for (const form of document.querySelectorAll("form[data-busy]")) {
    form.addEventListener("submit", () => {
      const button = form.querySelector("button");
      button.setAttribute("aria-busy", "true");
      button.dataset.label = button.dataset.label || button.innerHTML;
      button.textContent = form.dataset.busy;
      // A download leaves the page where it is, so the button comes back by itself.
      setTimeout(() => { button.innerHTML = button.dataset.label; button.removeAttribute("aria-busy"); }, 4000);
    });
  }

  // The pack page: ask how the build is going each second; reload when it is done.
  const build = document.getElementById("pack-build");
  if (build && build.dataset.running === "yes") {
    const bar = build.querySelector("progress");
    const text = build.querySelector("[data-progress-text]");
    const poll = async () => {
      const response = await fetch(build.dataset.progressUrl, { headers: { Accept: "application/json" } });
      const state = await response.json();
      if (!state.running) { window.location.reload(); return; }
      bar.value = state.percent;
      bar.textContent = `${state.percent}%`;
      text.textContent = state.remaining === null ? "Building…" : `Building… about ${state.remaining} seconds left.`;
      setTimeout(poll, 1000);
    };
    setTimeout(poll, 1000);
  }
});
