// The template editor: as the author types (or picks another sample
// deal), the unsaved source is sent to the preview frame and to the API's
// try-out, which says what is wrong with it and at which line, and which
// fields the sample deal would print blank. Without this script the
// Preview button does the first part.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("editor-root");
  if (!root) return;
  const key = root.dataset.key;
  const $ = (id) => document.getElementById(id);
  const form = $("editor");
  const source = $("source");
  const gutter = $("gutter");
  const deal = $("deal");
  const previewButton = $("preview-button");
  const problem = $("source-problem");
  const readiness = $("sample-readiness");
  const state = $("state");
  let dirty = false;
  let errorLine = null;
  const marked = gutter.querySelector("li.field-error");
  if (marked) errorLine = Number(marked.dataset.line);

  // One number per line of the source, beside it; the failing one marked.
  function numberLines() {
    const count = source.value.split("\n").length;
    while (gutter.children.length < count) {
      const item = document.createElement("li");
      item.dataset.line = String(gutter.children.length + 1);
      item.textContent = item.dataset.line;
      gutter.appendChild(item);
    }
    while (gutter.children.length > count) gutter.lastElementChild.remove();
    for (const item of gutter.children) {
      item.classList.toggle("field-error", Number(item.dataset.line) === errorLine);
    }
    gutter.scrollTop = source.scrollTop;
  }

  // Selects line `n` of the source, so the author lands on it.
  function selectLine(n) {
    const lines = source.value.split("\n");
    let start = 0;
    for (let i = 0; i < n - 1 && i < lines.length; i++) start += lines[i].length + 1;
    const end = start + (lines[n - 1] || "").length;
    source.focus();
    source.setSelectionRange(start, end);
    const lineHeight = parseFloat(getComputedStyle(source).lineHeight) || 20;
    source.scrollTop = Math.max(0, (n - 3) * lineHeight);
    gutter.scrollTop = source.scrollTop;
  }

  function showProblem(error) {
    problem.textContent = "";
    errorLine = error && error.line ? error.line : null;
    problem.hidden = !error;
    if (error) {
      if (error.line) {
        const go = document.createElement("a");
        go.href = "#source";
        go.className = "goto";
        go.dataset.line = String(error.line);
        go.textContent = "Line " + error.line + (error.column ? ", column " + error.column : "");
        problem.append(go, ": ");
      }
      problem.append(error.message);
    }
    numberLines();
  }

  function showMissing(missing, failed) {
    const dealId = deal.value;
    readiness.dataset.deal = dealId;
    readiness.textContent = "";
    const note = document.createElement("p");
    if (missing.length) {
      note.className = "missing-title";
      note.textContent = "Blank for this deal, named in the preview where they print:";
      const list = document.createElement("ul");
      list.className = "list";
      for (const m of missing) {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = "/deals/" + encodeURIComponent(dealId) + "#readiness";
        link.textContent = m.label;
        const entity = document.createElement("span");
        entity.className = "muted";
        entity.textContent = "(" + m.entity + ")";
        item.append(link, " ", entity);
        list.appendChild(item);
      }
      readiness.append(note, list);
    } else if (!failed) {
      note.className = "ready";
      note.textContent = "Every field this source prints is filled for this deal.";
      readiness.append(note);
    }
  }

  let asked = 0;
  async function refresh() {
    if (!previewButton) return;
    const mine = ++asked;
    state.textContent = "Previewing…";
    form.requestSubmit(previewButton);
    try {
      const res = await fetch("/api/v1/templates/" + encodeURIComponent(key) + "/preview", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ source: source.value, deal_id: deal.value }),
        credentials: "same-origin",
      });
      const data = await res.json();
      if (mine !== asked) return;
      if (!res.ok) {
        const e = data && data.error ? data.error : { message: res.statusText };
        const fields = e.fields ? Object.entries(e.fields).map(([k, v]) => k + ": " + v).join("; ") : "";
        showProblem({ message: fields || e.message });
        showMissing([], true);
      } else {
        showProblem(data.error);
        showMissing(data.missing, !!data.error);
      }
      state.textContent = dirty ? "Not saved yet" : "";
      root.dataset.previewed = String(mine);
    } catch (_) {
      if (mine === asked) state.textContent = "The preview could not be reached; is the server running?";
    }
  }

  let timer = null;
  source.addEventListener("input", () => {
    dirty = true;
    numberLines();
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
  source.addEventListener("scroll", () => { gutter.scrollTop = source.scrollTop; });
  if (deal) {
    deal.addEventListener("change", () => {
      // Publishing or discarding comes back to this deal too.
      for (const input of document.querySelectorAll("input[name=deal_id]")) input.value = deal.value;
      clearTimeout(timer);
      refresh();
    });
  }
  problem.addEventListener("click", (event) => {
    const go = event.target.closest("a.goto");
    if (!go) return;
    event.preventDefault();
    selectLine(Number(go.dataset.line));
  });
  // Saving keeps the text; leaving the page with unsaved text asks first.
  form.addEventListener("submit", (event) => {
    if (event.submitter !== previewButton) dirty = false;
  });
  window.addEventListener("beforeunload", (event) => {
    if (dirty) event.preventDefault();
  });
  numberLines();
});
