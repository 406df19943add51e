// The partner's page (/notices): the handoff notices addressed to the key's agency
// (GET /v1/notices), each shown with exactly the fields the sharing policy released —
// the page adds nothing and names nobody.
"use strict";
(function () {
  const F = window.BWForms, I = window.BWI18n, T = I.t, esc = F.esc;

  function value(k, v) {
    if (typeof v === "number") return esc(I.num(v));
    if (typeof v === "string" && /^\d{4}-\d\d-\d\dT/.test(v)) return esc(I.date(v));
    if (typeof v === "boolean") return esc(T(v ? "a.yes" : "a.no"));
    return esc(typeof v === "string" ? v : JSON.stringify(v));
  }
  function render({ notices }) {
    document.getElementById("notices").innerHTML = notices.length ? notices.map((n, i) => `<section data-notice="${i}"><h2>${esc(T("not.notice", { n: I.num(i + 1) }))}</h2>
      <table>${Object.entries(n).map(([k, v]) => `<tr data-key="${esc(k)}"><th>${esc(T("nf." + k) === "nf." + k ? k : T("nf." + k))}</th><td>${value(k, v)}</td></tr>`).join("")}</table></section>`).join("")
      : `<p class="small" data-none>${esc(T("not.none"))}</p>`;
  }
  window.BWPage.read("/v1/notices", render);
})();
