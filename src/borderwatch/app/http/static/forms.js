// Shared by the people's pages (field, officer, notices, stats): the API key, calls to the
// API, a refused field's message shown next to that field, the language switch.
//
// The key comes as on the dashboard: a #key= fragment moves into the tab's session
// storage (off the address; ?lang= stays), else a pasted key. A 422 from the API names
// the field in detail[].loc (["body", "people[0].name"], ["facts", "people"]); the input
// whose data-field is that name (or the nearest enclosing one) gets the message beside
// it, and what was typed stays.
(function () {
  "use strict";
  const STORE = "bw-key";
  const T = (k, v) => window.BWI18n.t(k, v);

  function esc(s) {
    return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  function key() {
    const m = location.hash.match(/key=([^&]+)/);
    if (m) {
      sessionStorage.setItem(STORE, decodeURIComponent(m[1]));
      history.replaceState(null, "", location.pathname + location.search);
    }
    return sessionStorage.getItem(STORE);
  }

  // An error of the API: status, the message, and the fields it names (path -> message),
  // each in the page's language when the server coded its reason (lang/server.js).
  const say = (d) => (window.BWServerText ? window.BWServerText.refusal(d) : d.msg);
  class ApiError extends Error {
    constructor(status, detail) {
      const items = Array.isArray(detail) ? detail : [];
      super(items.length ? items.map(say).join("; ") : String(detail ?? status));
      this.status = status;
      this.fields = {};
      for (const d of items) {
        const loc = (d.loc || []).filter((p, i) => !(i === 0 && ["body", "query", "path"].includes(p)));
        this.fields[loc.join(".")] = say(d);
      }
    }
  }

  async function call(path, opts = {}) {
    const headers = { "X-API-Key": sessionStorage.getItem(STORE) || "", ...(opts.headers || {}) };
    let body = opts.body;
    if (opts.json !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(opts.json); }
    const r = await fetch(path, { method: opts.method || "GET", headers, body });
    if (opts.blob && r.ok) return r.blob();
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    if (!r.ok) throw new ApiError(r.status, data && data.detail !== undefined ? data.detail : r.statusText);
    return data;
  }

  // The message for `name` goes into the .err element after the matching field (or the
  // form's own .err when no field matches); the input is marked invalid. Returns whether
  // a field took it.
  function fieldFor(form, name) {
    let n = name;
    while (n) {
      const found = form.querySelector(`[data-field="${CSS.escape(n)}"]`);
      if (found) return found;
      const cut = Math.max(n.lastIndexOf("."), n.lastIndexOf("["));
      n = cut > 0 ? n.slice(0, cut) : "";
    }
    return null;
  }
  function errorSlot(input) {
    const holder = input.closest("label, .fld") || input.parentElement;
    let slot = holder.querySelector(":scope > .err");
    if (!slot) { slot = document.createElement("span"); slot.className = "err"; slot.setAttribute("role", "alert"); holder.appendChild(slot); }
    return slot;
  }
  function clear(form) {
    form.querySelectorAll(".err").forEach((e) => { e.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
  }
  function fail(form, name, message) {
    const input = name ? fieldFor(form, name) : null;
    const slot = input ? errorSlot(input) : form.querySelector(":scope .err[data-form-error]");
    if (input) { input.setAttribute("aria-invalid", "true"); input.dataset.error = name; }
    if (slot) slot.textContent = message;
    return Boolean(input);
  }
  function show(form, err) {
    clear(form);
    const names = Object.keys((err && err.fields) || {});
    if (!names.length) { fail(form, null, err && err.status ? T("f.error", { status: err.status, msg: err.message }) : String(err)); return; }
    for (const name of names) {
      if (!fail(form, name, err.fields[name])) fail(form, null, `${name}: ${err.fields[name]}`);
    }
  }

  // A language switch (English / Français) in `holder`; the page redraws on "bw-lang".
  function langSwitch(holder) {
    holder.innerHTML = window.BWI18n.LANGS.map((l) =>
      `<button type="button" data-lang="${l}" lang="${l}">${l === "en" ? "English" : "Français"}</button>`).join(" ");
    const mark = () => holder.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.lang === window.BWI18n.lang)));
    holder.addEventListener("click", (ev) => { const b = ev.target.closest("[data-lang]"); if (b) window.BWI18n.set(b.dataset.lang); });
    window.addEventListener("bw-lang", mark);
    mark();
  }

  // The login box of a page without a key: a pasted key, kept in the tab only.
  function login(form, onKey) {
    form.hidden = false;
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const value = form.querySelector("input").value.trim();
      if (value) { sessionStorage.setItem(STORE, value); form.hidden = true; onKey(); }
    });
  }

  // A file fetched with the key (a plain link cannot send the header), saved from a blob.
  async function download(path, name) {
    const blob = await call(path, { blob: true });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob); a.download = name;
    document.body.appendChild(a); a.click(); a.remove();
    return blob;
  }

  window.BWForms = { esc, key, call, ApiError, clear, fail, show, langSwitch, login, download };
})();
