// The quote builder: lines from a price book, priced live by the API's
// preview as the rep types, saved and submitted through the JSON API.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("builder");
  if (!root) return;
  const deal = root.dataset.deal;
  let quoteId = root.dataset.quote || null;
  let version = null;
  let books = [];
  let products = new Map();
  const $ = (id) => document.getElementById(id);
  const tbody = document.querySelector("#lines tbody");

  async function api(method, path, body) {
    const res = await fetch("/api/v1" + path, {
      method,
      headers: body ? { "content-type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
      credentials: "same-origin",
    });
    const data = res.status === 204 ? null : await res.json();
    if (!res.ok) {
      const e = data && data.error ? data.error : { message: res.statusText };
      const fields = e.fields ? Object.entries(e.fields).map(([k, v]) => k + ": " + v).join("; ") : "";
      throw new Error(fields || e.message);
    }
    return data;
  }

  function book() { return books.find((b) => b.id === $("book").value); }

  function money(value, currency) {
    if (value === undefined || value === null) return "";
    try {
      return new Intl.NumberFormat("en", { style: "currency", currency }).format(Number(value));
    } catch (_) {
      return value + " " + currency;
    }
  }

  function show(id, value, currency, suffix) {
    const el = $(id);
    el.dataset.value = value === undefined || value === null ? "" : value;
    el.textContent = suffix ? (value || "0") + suffix : money(value, currency);
  }

  function productOptions(select, chosen) {
    select.textContent = "";
    const b = book();
    for (const entry of b ? b.entries : []) {
      const p = products.get(entry.product_id);
      const option = document.createElement("option");
      option.value = entry.product_id;
      option.textContent = p ? p.name + " (" + p.sku + ")" : entry.product_id;
      if (entry.product_id === chosen) option.selected = true;
      select.appendChild(option);
    }
  }

  function addLine(line) {
    const n = tbody.rows.length + 1;
    const row = tbody.insertRow();
    row.innerHTML =
      '<td><label class="hidden" for="product-' + n + '">Product of line ' + n + '</label><select id="product-' + n + '" class="product"></select></td>' +
      '<td><label class="hidden" for="quantity-' + n + '">Quantity of line ' + n + '</label><input id="quantity-' + n + '" class="quantity" type="number" min="0" step="any" value="1"></td>' +
      '<td><label class="hidden" for="line-discount-' + n + '">Discount of line ' + n + '</label><input id="line-discount-' + n + '" class="discount" type="number" min="0" max="100" step="0.01" value="0"></td>' +
      '<td><label class="hidden" for="tax-' + n + '">Tax rate of line ' + n + '</label><input id="tax-' + n + '" class="tax" type="number" min="0" max="100" step="0.001" value="19"></td>' +
      '<td class="net right"></td>' +
      '<td><button type="button" class="link remove" aria-label="Remove line ' + n + '">✕</button></td>';
    productOptions(row.querySelector(".product"), line && line.product_id);
    if (line) {
      row.querySelector(".quantity").value = line.quantity;
      row.querySelector(".discount").value = line.discount_percent;
      row.querySelector(".tax").value = line.tax_rate;
    }
    row.querySelector(".remove").addEventListener("click", () => { row.remove(); schedule(); });
    for (const input of row.querySelectorAll("input, select")) input.addEventListener("input", schedule);
  }

  function body() {
    const b = book();
    return {
      deal_id: deal,
      price_book_id: b ? b.id : null,
      currency: b ? b.currency : null,
      lines: Array.from(tbody.rows).map((row) => ({
        product_id: row.querySelector(".product").value,
        quantity: row.querySelector(".quantity").value || "0",
        discount_percent: row.querySelector(".discount").value || "0",
        tax_rate: row.querySelector(".tax").value || "0",
      })),
      discount_percent: $("discount").value || "0",
      valid_until: $("valid").value || null,
      payment_terms: $("terms").value || null,
    };
  }

  function error(message) {
    $("error").hidden = !message;
    $("error").textContent = message || "";
  }

  function render(figures) {
    const c = figures.currency;
    Array.from(tbody.rows).forEach((row, i) => {
      const line = figures.lines[i];
      const cell = row.querySelector(".net");
      cell.dataset.value = line ? line.net : "";
      cell.textContent = line ? money(line.net, c) : "";
    });
    const t = figures.totals;
    for (const key of ["list_total", "subtotal", "quote_discount", "net_total", "tax_total", "total"]) show(key, t[key], c);
    show("effective_discount_percent", t.effective_discount_percent, c, " %");
  }

  let timer = null;
  let asked = 0;
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(price, 250);
  }

  async function price() {
    if (!tbody.rows.length) return;
    const mine = ++asked;
    root.dataset.pricing = "true";
    try {
      const figures = await api("POST", "/quotes/preview", body());
      if (mine === asked) { render(figures); error(null); }
    } catch (e) {
      if (mine === asked) error(e.message);
    } finally {
      if (mine === asked) delete root.dataset.pricing;
    }
  }

  function status(quote) {
    quoteId = quote.id;
    version = quote.version;
    root.dataset.quote = quote.id;
    const words = quote.status.replace("_", " ");
    $("status").textContent = "Revision " + quote.revision + ": " + words +
      (quote.needs_approval ? " (over your " + quote.approval_threshold + " % threshold: needs a manager's approval)" : "");
    $("status").dataset.status = quote.status;
    $("submit").hidden = !(quote.needs_approval && (quote.status === "draft" || quote.status === "rejected"));
  }

  $("add-line").addEventListener("click", () => { addLine(null); schedule(); });
  for (const id of ["discount", "valid", "terms"]) $(id).addEventListener("input", schedule);
  $("book").addEventListener("change", () => {
    for (const select of tbody.querySelectorAll(".product")) productOptions(select, select.value);
    schedule();
  });
  $("save").addEventListener("click", async () => {
    try {
      const b = body();
      const quote = quoteId
        ? await api("PATCH", "/quotes/" + quoteId, Object.assign(b, { version }))
        : await api("POST", "/quotes", b);
      status(quote);
      render(quote);
      error(null);
    } catch (e) { error(e.message); }
  });
  $("submit").addEventListener("click", async () => {
    try { status(await api("POST", "/quotes/" + quoteId + "/submit")); error(null); } catch (e) { error(e.message); }
  });

  (async () => {
    try {
      const [bookPage, productPage] = await Promise.all([
        api("GET", "/price-books?active=true&limit=200"),
        api("GET", "/products?limit=200"),
      ]);
      books = bookPage.items;
      products = new Map(productPage.items.map((p) => [p.id, p]));
      for (const b of books) {
        const option = document.createElement("option");
        option.value = b.id;
        option.textContent = b.name + " (" + b.currency + ")";
        $("book").appendChild(option);
      }
      if (quoteId) {
        const quote = await api("GET", "/quotes/" + quoteId);
        $("book").value = quote.price_book_id;
        for (const line of quote.lines) addLine(line);
        $("discount").value = quote.discount_percent;
        $("valid").value = quote.valid_until || "";
        $("terms").value = quote.payment_terms || "";
        status(quote);
        render(quote);
      } else {
        addLine(null);
        await price();
      }
      root.dataset.ready = "true";
    } catch (e) { error(e.message); }
  })();
});
