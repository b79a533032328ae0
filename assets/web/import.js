// The import form with a script: the chosen file is sent to the API as a
// dry run, its report shown, and the same file then imported, without
// choosing it again. Without a script the form posts to the page.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("import-form");
  if (!form) return;
  const $ = (id) => document.getElementById(id);
  const report = $("report");
  const commit = $("commit");
  const SHOWN_ROWS = 1000;

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  function el(tag, text, attrs) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  }

  function table(id, heads, rows) {
    const wrap = el("div", null, { class: "table-wrap" });
    const t = el("table", null, id ? { id } : {});
    const head = t.createTHead().insertRow();
    for (const h of heads) head.appendChild(el("th", h, { scope: "col" }));
    const body = t.createTBody();
    for (const cells of rows) {
      const row = body.insertRow();
      for (const c of cells) row.appendChild(c instanceof Node ? wrapCell(c) : el("td", c));
    }
    wrap.appendChild(t);
    return wrap;
  }

  function wrapCell(node) { const td = el("td"); td.appendChild(node); return td; }

  function details(p) {
    const parts = [];
    if (p.fields && p.fields.length) parts.push("fills " + p.fields.join(", "));
    if (p.reason) parts.push(p.reason);
    if (p.account_created) parts.push("with a new account");
    return parts.join("; ");
  }

  const BADGES = { create: "badge badge-ok", error: "badge badge-bad", skip: "badge badge-warn", update: "badge" };

  // The report as the page renders it (templates/web/import_report.html).
  function show(title, statusClass, statusText, r) {
    report.textContent = "";
    report.hidden = false;
    report.appendChild(el("h2", title, { id: "report-h" }));
    report.appendChild(el("p", statusText, { id: "report-status", class: statusClass,
      role: statusClass === "alert" ? "alert" : "status" }));
    if (!r) return;
    const facts = el("dl", null, { class: "facts", id: "report-counts" });
    const fact = (term, id, text) => { facts.appendChild(el("dt", term)); facts.appendChild(el("dd", text, { id })); };
    fact("File", "report-file", (r.format === "vcard" ? "vCard" : "CSV") + ": " + plural(r.rows, "row") + " read as " + r.kind);
    fact("New", "report-created", plural(r.created.contacts, "contact") + ", " + plural(r.created.accounts, "account"));
    fact("Filled in", "report-updated", plural(r.updated.contacts, "contact") + ", " + plural(r.updated.accounts, "account"));
    fact("Skipped", "report-skipped", r.skipped);
    fact("Bad rows", "report-bad", r.errors.length);
    report.appendChild(facts);
    if (r.ignored_columns.length) {
      report.appendChild(el("p", "Columns left out (no field takes them): " + r.ignored_columns.join(", "), { id: "report-ignored" }));
    }
    if (r.errors.length) {
      report.appendChild(el("h3", "Rows that cannot be imported"));
      const errors = r.errors.slice(0, SHOWN_ROWS);
      report.appendChild(table("report-errors", ["Line", "Field", "Problem"], errors.map((e) => [e.line, e.field, e.problem])));
      if (r.errors.length > errors.length) {
        report.appendChild(el("p", "… and " + (r.errors.length - errors.length) + " more: fix these first.", { class: "muted" }));
      }
    }
    if (r.plan.length) {
      const box = el("details", null, { id: "report-plan" });
      box.appendChild(el("summary", "Row by row"));
      const plan = r.plan.slice(0, SHOWN_ROWS);
      box.appendChild(table(null, ["Line", "What", "Record", "Details"], plan.map((p) => {
        const record = el("span", (p.name || "") + " ");
        record.appendChild(el("span", p.entity, { class: "muted" }));
        return [p.line, el("span", p.action, { class: BADGES[p.action] || "badge" }), record, details(p)];
      })));
      if (r.plan.length > plan.length) box.appendChild(el("p", "… and " + (r.plan.length - plan.length) + " more rows.", { class: "muted" }));
      report.appendChild(box);
    }
  }

  function badRows(r) {
    const n = r.errors.length;
    return plural(n, "row") + " cannot be imported: fix " + (n === 1 ? "it" : "them") + " in the file, or tick “Skip bad rows” to import the others. ";
  }

  // Whether the preview shown is of the file and kind chosen now.
  let previewed = false;
  function forget() {
    previewed = false;
    commit.disabled = true;
    report.hidden = true;
    report.textContent = "";
  }
  $("file").addEventListener("change", forget);
  $("kind").addEventListener("change", forget);

  async function send(dryRun) {
    const file = $("file").files[0];
    if (!file) {
      show("Not read", "alert", "file: choose a CSV or vCard file to import", null);
      return;
    }
    const body = new FormData();
    body.append("file", file, file.name);
    if ($("kind").value) body.append("kind", $("kind").value);
    body.append("dry_run", dryRun ? "true" : "false");
    body.append("skip_bad_rows", $("skip").checked ? "true" : "false");
    form.dataset.busy = "true";
    try {
      const res = await fetch("/api/v1/imports", { method: "POST", body, credentials: "same-origin" });
      const data = await res.json().catch(() => null);
      if (res.ok && dryRun) {
        previewed = true;
        commit.disabled = false;
        show("Preview", "muted", "Nothing has been written yet. " + (data.errors.length ? badRows(data) : "") + "Press Import to write it.", data);
      } else if (res.ok) {
        forget();
        show("Imported", "notice", "Imported: the records below are written.", data);
      } else if (data && data.report) {
        show("Not imported", "alert", "Nothing was written: " + badRows(data.report) + "Then press Import again.", data.report);
      } else {
        const e = data && data.error ? data.error : { message: res.statusText };
        const fields = e.fields ? Object.entries(e.fields).map(([k, v]) => k + ": " + v).join("; ") : "";
        show("Not read", "alert", fields || e.message, null);
      }
    } catch (e) {
      show("Not read", "alert", "The server could not be reached: " + e.message, null);
    } finally {
      delete form.dataset.busy;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const importing = event.submitter === commit;
    if (importing && !previewed) return;
    send(!importing);
  });
});
