// The analyst's page (/stats): the decision statistics (GET /v1/stats/decisions) —
// interceptions, people, children, decisions in force by outcome and by exception, people
// returned, the time from detection to interception. Counts another agency reads are the
// publishable ones (a suppressed count is shown as such).
"use strict";
(function () {
  const F = window.BWForms, I = window.BWI18n, T = I.t, esc = F.esc;

  const n = (v) => (v === null || v === undefined ? T("st.suppressed") : I.num(v));
  function minutes(s) { return s == null ? "—" : T("st.minutes", { n: I.num(s / 60, { maximumFractionDigits: 1 }) }); }
  function table(rows, cols) {
    return rows.length ? `<table><tr>${cols.map(([h]) => `<th>${esc(T(h))}</th>`).join("")}</tr>${rows.map((r) =>
      `<tr>${cols.map(([, f, cls]) => `<td${cls ? ` class="${cls}"` : ""}>${f(r)}</td>`).join("")}</tr>`).join("")}</table>`
      : `<p class="small">${esc(T("st.none"))}</p>`;
  }
  function render(d) {
    const t = d.detection_to_interception || {};
    document.getElementById("stats").innerHTML = `<section><h2>${esc(T("st.totals"))}</h2><table>
        <tr data-stat="interceptions"><th>${esc(T("st.interceptions"))}</th><td class="n">${n(t.interceptions)}</td></tr>
        <tr data-stat="people"><th>${esc(T("st.people"))}</th><td class="n">${n(d.people)}</td></tr>
        <tr data-stat="children"><th>${esc(T("st.children"))}</th><td class="n">${n(d.children)}</td></tr>
        <tr data-stat="returned"><th>${esc(T("st.returned"))}</th><td class="n">${n(d.returned.total)}</td></tr>
        <tr data-stat="median"><th>${esc(T("st.median"))}</th><td class="n">${esc(minutes(t.median_s))}</td></tr>
        <tr data-stat="max"><th>${esc(T("st.max"))}</th><td class="n">${esc(minutes(t.max_s))}</td></tr></table>
        ${d.publishable ? `<p class="small">${esc(T("st.publishable"))}</p>` : ""}</section>
      <section><h2>${esc(T("st.by_outcome"))}</h2>${table(d.by_outcome, [["st.month", (r) => esc(r.month)], ["st.outcome", (r) => `<span data-row-outcome="${esc(r.outcome)}">${esc(T("outcome." + r.outcome))}</span>`], ["st.count", (r) => n(r.count), "n"]])}</section>
      <section><h2>${esc(T("st.by_exception"))}</h2>${table(d.by_exception, [["st.month", (r) => esc(r.month)], ["st.exception", (r) => esc(r.exception === "not recorded" ? T("st.not_recorded") : r.exception)], ["st.count", (r) => n(r.count), "n"]])}</section>
      <section><h2>${esc(T("st.returns"))}</h2>${table(d.returned.months, [["st.month", (r) => esc(r.month)], ["st.count", (r) => n(r.count), "n"]])}</section>`;
  }
  window.BWPage.read("/v1/stats/decisions", render);
})();
