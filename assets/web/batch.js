// A batch's progress, live: the API's progress is read every second until
// the batch has ended, then its skipped and failed records. Without a
// script the page shows the state it was loaded in, with a Refresh link.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("progress");
  if (!root || root.dataset.status !== "running") return;
  const id = root.dataset.batch;
  const $ = (name) => document.getElementById(name);
  const EVERY_MS = 1000;
  const PROBLEMS_PER_PAGE = 50;

  async function api(path) {
    const res = await fetch("/api/v1/batches/" + id + path, { credentials: "same-origin" });
    const data = await res.json().catch(() => null);
    if (!res.ok) {
      const e = data && data.error ? data.error : { message: res.statusText };
      const failure = new Error(e.message);
      failure.status = res.status;
      throw failure;
    }
    return data;
  }

  // As the server writes them (src/web/pages/batches.rs).
  function timeLeft(s) {
    if (s < 60) return "about " + s + " s";
    if (s < 3600) return "about " + Math.ceil(s / 60) + " min";
    return "about " + Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
  }

  function minutes(time) { return time ? time.slice(0, 16).replace("T", " ") : ""; }

  function show(p) {
    const c = p.counts;
    const ended = c.done + c.skipped + c.failed;
    $("bar").max = p.total;
    $("bar").value = ended;
    $("bar").textContent = ended + " of " + p.total;
    $("done").textContent = c.done;
    $("skipped-count").textContent = c.skipped;
    $("failed-count").textContent = c.failed;
    $("open").textContent = c.pending + c.working;
    $("rate").textContent = p.rate_per_second === null ? "–" : p.rate_per_second.toFixed(1) + " a second";
    const finished = p.status === "finished";
    $("eta").textContent = finished ? "none" : p.eta_seconds === null ? "–" : timeLeft(p.eta_seconds);
    $("state").textContent = finished
      ? "Finished " + minutes(p.finished_at) + " UTC."
      : "Running: the documents are being made.";
    if (finished) $("archive").textContent = "Download the documents (ZIP)";
  }

  // The first page of the records that ended `status`, as the server
  // lists them (templates/web/batch_problems.html).
  async function problems(status) {
    const page = await api("/items?status=" + status + "&limit=" + PROBLEMS_PER_PAGE);
    const list = $(status + "-list");
    list.textContent = "";
    for (const item of page.items) {
      const li = document.createElement("li");
      const name = document.createElement("strong");
      name.textContent = item.name || "(no name)";
      const position = document.createElement("span");
      position.className = "muted";
      position.textContent = "#" + item.position;
      li.append(name, " ", position, document.createElement("br"), item.reason || "");
      if (item.missing && item.missing.length) {
        const blank = document.createElement("span");
        blank.className = "muted";
        blank.textContent = "Blank: " + item.missing.map((m) => m.label + " (" + m.entity + ")").join(", ");
        li.append(document.createElement("br"), blank);
      }
      list.appendChild(li);
    }
    if (!page.items.length) {
      const li = document.createElement("li");
      li.className = "muted";
      li.textContent = "None.";
      list.appendChild(li);
    }
    const more = $(status + "-more");
    if (page.next_cursor && !more) {
      const link = document.createElement("a");
      link.id = status + "-more";
      link.rel = "next";
      link.href = "/batches/" + id + "?" + status + "=" + encodeURIComponent(page.next_cursor) + "#" + status;
      link.textContent = "Next " + status;
      const p = document.createElement("p");
      p.appendChild(link);
      list.after(p);
    }
  }

  function problem(message) {
    $("progress-problem").hidden = !message;
    $("progress-problem").textContent = message || "";
  }

  async function poll() {
    try {
      const progress = await api("");
      problem(null);
      show(progress);
      if (progress.status === "finished") {
        await Promise.all([problems("skipped"), problems("failed")]);
        root.dataset.status = "finished";
        return;
      }
      root.dataset.status = progress.status;
    } catch (e) {
      // Signed out or refused: looking again will not help.
      if (e.status === 401 || e.status === 403 || e.status === 404) {
        problem(e.message + " Reload the page.");
        return;
      }
      problem("The progress could not be read (" + e.message + "); trying again.");
    }
    setTimeout(poll, EVERY_MS);
  }

  const refresh = $("refresh");
  if (refresh) refresh.hidden = true;
  setTimeout(poll, EVERY_MS);
});
