// Borderwatch dashboard: plain JavaScript, everything from this service (no tiles, no
// fonts, nothing from outside), so it works offline. The map is map.js (Leaflet, window.BWMap);
// this file holds the feed, the panels and what is selected. Keyboard: Tab reaches every
// button; on the map, arrow keys pan and + / - zoom.
"use strict";
const ZONE = "America/Edmonton";
const $ = (id) => document.getElementById(id);
const state = { key: null, who: null, tracks: new Map(), incidents: new Map(), alerts: [],
                responders: new Map(), plan: null, history: new Map(), selected: null,
                evidence: new Map(), known: new Set(), primed: false, health: null, past: null,
                dataTime: null, sim: false };
const MAP = window.BWMap;
const I18N = window.BWI18n;
const SERVER = window.BWServerText;  // what the server wrote, in the page's language (lang/server.js)
const t = (key, vars) => I18N.t(key, vars);

// Words the server sends as values (type, direction, severity, status, kind), shown in
// the page's language; an unknown value is shown as it came.
function word(group, value) {
  if (value == null || value === "") return "";
  const key = `${group}.${value}`, s = t(key);
  return s === key ? String(value) : s;
}
function fmt(time) {
  if (!time) return "—";
  const d = new Date(time);
  const local = d.toLocaleTimeString(I18N.locale, { timeZone: ZONE, hour12: false, timeZoneName: "short" });
  return `${local} │ ${d.toISOString().slice(11, 19)}Z`;
}
function esc(s) { return String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c])); }
function markSim(flag) { if (flag) { state.sim = true; $("sim").hidden = false; } }

async function api(path, opts = {}) {
  const r = await fetch(path, { ...opts, headers: { "X-API-Key": state.key, ...(opts.headers || {}) } });
  if (r.status === 401) { sessionStorage.removeItem("bw-key"); showLogin(); throw new Error("401"); }
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.json();
}

// /v1/sensors answers one page at a time (next_cursor); the map draws the first few pages.
async function allSensors(pages = 5) {
  let page = await api("/v1/sensors"), features = page.features;
  while (page.next_cursor && --pages > 0) {
    page = await api(`/v1/sensors?cursor=${encodeURIComponent(page.next_cursor)}`);
    features = features.concat(page.features);
  }
  return { ...page, features };
}

function el(tag, attrs, parent) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

let mapLayers = null, sensors = null;
// What the map and the incident list show: the live picture, or the past one the
// timeline chose (timeline.js; the feed keeps the live one up to date meanwhile).
function shown() { return state.past || state; }
function setPast(past) {
  state.past = past;
  renderIncidents(); drawLive();
}
function drawLive() {
  const view = shown();
  MAP.drawLive({ tracks: view.tracks, incidents: view.incidents, responders: state.responders,
                 plan: state.plan, headCount, selected: state.selected });
  $("tracks").textContent = view.tracks.size ? [...view.tracks.values()].map((f) => {
    const p = f.properties;
    return t("track.line", { id: f.id || t("track"), kind: word("kind", p.kind), count: headCount(p),
      speed: p.speed_ms == null ? "—" : I18N.num(p.speed_ms), heading: p.heading_deg == null ? "—" : I18N.num(p.heading_deg) });
  }).join("\n") : t("none");
  $("tracks").style.whiteSpace = "pre-line";
  if (state.selected) renderDetails();
}

function age(s) { return s == null ? t("unit.home") : s < 90 ? t("unit.s", { n: I18N.num(Math.round(s)) }) : t("unit.min", { n: I18N.num(Math.round(s / 60)) }); }
function renderResponders() {
  const items = [...state.responders.values()];
  $("responders").innerHTML = items.length ? items.map((u) =>
    `<div data-unit-row="${esc(u.unit_id)}">${esc(u.callsign)} (${esc(u.agency)}) · ${esc(word("avail", u.availability))} · ${esc(t("unit.position", { age: age(u.age_s) }))}${u.stale ? ` · <b>${esc(t("unit.stale"))}</b>` : ""}${u.simulated ? ` · ${esc(t("simulated"))}` : ""}</div>`).join("") : esc(t("none"));
}
async function refreshResponders() {
  try { const r = await api("/v1/responders"); state.responders = new Map(r.responders.map((u) => [u.unit_id, u])); markSim(r.simulated); }
  catch (e) { state.responders = new Map(); }
  renderResponders(); drawLive();
}
function renderIntercept() {
  const plan = state.plan, mayAssign = state.who && ["operator", "admin"].includes(state.who.role);
  if (!plan) { $("intercept").innerHTML = ""; return; }
  const best = plan.proposals[0];
  $("intercept").innerHTML = `<div class="item" data-plan="${esc(plan.incident_id)}">${esc(t("icpt.for"))} <b>${esc(plan.incident_id)}</b>${esc(t("colon"))}` +
    (best ? esc(t("icpt.best", { unit: best.callsign, min: I18N.num(Math.round(best.travel_s / 60)), at: fmt(best.at),
                                 km: I18N.num(best.distance_m / 1000, { minimumFractionDigits: 1, maximumFractionDigits: 1 }) })) +
      (mayAssign ? `<br><button data-assign="${esc(plan.incident_id)}" data-unit="${esc(best.unit_id)}">${esc(t("icpt.assign", { unit: best.callsign }))}</button>` : "")
      : esc(SERVER.noProposal(plan) || t("icpt.none"))) +
    `<br><span class="small">${esc(SERVER.assumption(plan, 0))}</span></div>`;
}
async function showIntercept(id) {
  state.plan = await api(`/v1/incidents/${encodeURIComponent(id)}/intercept`);
  markSim(state.plan.simulated); renderIntercept(); drawLive();
}

// A head count with its range, as the server sends it: "9", or "9 (8–10)" when the
// sensors leave room (tracking.head_count_range); an operator plans for the top of it.
function headCount(p) {
  const n = p.group_size ?? "?", r = p.group_size_range;
  return Array.isArray(r) && r[0] !== r[1] ? `${n} (${r[0]}–${r[1]})` : `${n}`;
}

// ---- what is selected (a click on the map or on a list): its details and history ------
// A track's history is what this page saw of it: position, head count and time per update.
function remember(id, time, coords, p) {
  const h = state.history.get(id) || [];
  const last = h[h.length - 1];
  if (!last || last.time !== time) h.push({ time, lon: coords[0], lat: coords[1], count: headCount(p) });
  state.history.set(id, h.slice(-30));
}
function select(kind, id, centre = true) {
  state.selected = { kind, id };
  $("details-section").hidden = false;
  renderDetails(); drawLive();
  if (centre) MAP.centreOn(kind, id);
}
function row(label, value) { return `<div class="row"><span class="small">${esc(label)}</span> ${value}</div>`; }
function rangeText(p) {
  const r = p.group_size_range;
  if (!Array.isArray(r)) return `<b>${esc(p.group_size ?? "?")}</b>`;
  return `<b>${esc(p.group_size ?? "?")}</b> · ${esc(t("range"))} <b data-range>${esc(r[0])}–${esc(r[1])}</b>` +
    ` <span class="small">${esc(t(r[0] === r[1] ? "range.agree" : "range.top"))}</span>`;
}
// Evidence: the thermal crops near an incident (GET /v1/incidents/{id}/evidence), each
// fetched with the key (an <img src> cannot send it) and shown from a blob URL. Asked once
// per incident; a key that may not see them (another agency) gets none, and says so.
async function loadEvidence(id) {
  state.evidence.set(id, { loading: true, items: [] });
  let items = [];
  try {
    const r = await api(`/v1/incidents/${encodeURIComponent(id)}/evidence`);
    items = await Promise.all(r.evidence.map(async (e) => {
      const res = await fetch(e.image, { headers: { "X-API-Key": state.key } });
      return res.ok ? { ...e, url: URL.createObjectURL(await res.blob()) } : null;
    }));
  } catch (err) { /* none for this key, or gone: nothing to show */ }
  state.evidence.set(id, { loading: false, items: items.filter(Boolean) });
  if (state.selected?.kind === "incident" && state.selected.id === id) renderDetails();
}
function evidenceHtml(id) {
  const ev = state.evidence.get(id);
  if (!ev) { loadEvidence(id); return `<div class="small">${esc(t("ev.loading"))}</div>`; }
  if (ev.loading) return `<div class="small">${esc(t("ev.loading"))}</div>`;
  if (!ev.items.length) return `<div class="small">${esc(t("ev.none"))}</div>`;
  return `<div class="small">${esc(t("ev.title"))}</div><div class="evidence">` +
    ev.items.map((e) => `<figure><img data-evidence="${esc(e.detection_id)}" src="${esc(e.url)}" ` +
      `alt="${esc(t("ev.alt", { band: e.band, sensor: e.sensor_id, time: e.time }))}"><figcaption class="small">` +
      `${esc(e.sensor_id)} · ${fmt(e.time)}${e.simulated ? ` · ${esc(t("simulated"))}` : ""}</figcaption></figure>`).join("") + "</div>";
}
function renderDetails() {
  const sel = state.selected, box = $("details");
  if (!sel) return;
  if (sel.kind === "incident") {
    const f = shown().incidents.get(sel.id);
    if (!f) { box.innerHTML = `<p class="small">${esc(t("sel.gone"))}</p>`; return; }
    const p = f.properties, reasons = (p.risk?.reasons || []).filter((r) => r.points);
    const alerts = state.alerts.filter((a) => a.incident_id === sel.id);
    // The lifecycle: raised, then each alert's acknowledgement and resolution by unit.
    const life = [`<li>${fmt(p.time)} — ${esc(word("type", p.type))} ${esc(word("dir", p.direction))}${p.segment ? ` ${esc(t("sel.on", { segment: p.segment }))}` : ""}</li>`,
      p.detected_at ? `<li>${fmt(p.detected_at)} — ${esc(t("sel.detected"))}</li>` : "",
      p.revised_at ? `<li>${fmt(p.revised_at)} — ${esc(t("sel.revised", { n: p.revision }))}</li>` : ""]
      .concat(alerts.map((a) => `<li>${esc(a.unit?.unit_id)}: <span class="status ${esc(a.status)}">${esc(word("status", a.status))}</span>${a.acknowledged_at ? ` · ${esc(t("sel.ack"))} ${fmt(a.acknowledged_at)}${a.acknowledged_by ? ` ${esc(t("by", { who: a.acknowledged_by }))}` : ""}` : ""}${a.resolved_at ? ` · ${esc(t("sel.resolved"))} ${fmt(a.resolved_at)}` : ""}</li>`));
    const where = f.geometry ? `${I18N.num(f.geometry.coordinates[1], { minimumFractionDigits: 5, maximumFractionDigits: 5 })} ; ${I18N.num(f.geometry.coordinates[0], { minimumFractionDigits: 5, maximumFractionDigits: 5 })}` : esc(t("sel.withheld"));
    box.innerHTML = `<div class="item sev-${esc(p.severity)}" data-detail-incident="${esc(sel.id)}"><b>${esc(word("type", p.type).toUpperCase())}</b> ${esc(word("dir", p.direction))} · ${esc(sel.id)}` +
      row(t("sel.count"), rangeText(p)) + row(t("sel.risk"), `<b>${esc(word("sev", p.severity))}</b>`) +
      (reasons.length ? `<ul class="small">${reasons.map((r) => `<li data-reason="${esc(r.code)}">${esc(SERVER.risk(r))}</li>`).join("")}</ul>` : "") +
      row(t("sel.where"), where) +
      `<div class="small">${esc(t("sel.life"))}</div><ol class="small">${life.join("")}</ol>` +
      evidenceHtml(sel.id) +
      (p.simulated ? `<div class="small">${esc(t("simulated"))}</div>` : "") + "</div>";
  } else {
    const f = shown().tracks.get(sel.id), hist = state.history.get(sel.id) || [];
    if (!f) { box.innerHTML = `<p class="small">${esc(t("sel.ended", { id: sel.id }))}</p>`; return; }
    const p = f.properties, deg = (v) => I18N.num(v, { minimumFractionDigits: 5, maximumFractionDigits: 5 });
    box.innerHTML = `<div class="item" data-detail-track="${esc(sel.id)}"><b>${esc(word("kind", p.kind) || t("track"))}</b> · ${esc(sel.id)}` +
      row(t("sel.count"), rangeText(p)) +
      row(t("sel.moving"), esc(t("sel.motion", { speed: p.speed_ms == null ? "—" : I18N.num(p.speed_ms), heading: p.heading_deg == null ? "—" : I18N.num(p.heading_deg) }))) +
      row(t("sel.seen"), fmt(p.time)) +
      `<div class="small">${esc(t("sel.history"))}</div><ol class="small">${hist.slice().reverse().slice(0, 8).map((h) => `<li>${fmt(h.time)} · ${deg(h.lat)} ; ${deg(h.lon)} · ×${esc(h.count)}</li>`).join("")}</ol>` +
      (p.simulated ? `<div class="small">${esc(t("simulated"))}</div>` : "") + "</div>";
  }
}

// ---- panels ---------------------------------------------------------------------------
function renderIncidents() {
  const items = [...shown().incidents.values()].reverse();
  $("incidents").innerHTML = items.length ? items.map((f) => {
    const p = f.properties, reasons = (p.risk?.reasons || []).filter((r) => r.points).map((r) => esc(SERVER.risk(r))).join("; ");
    return `<div class="item sev-${esc(p.severity)}" data-incident="${esc(p.incident_id)}" data-type="${esc(p.type)}">
      <b>${esc(word("type", p.type).toUpperCase())}</b> ${esc(word("dir", p.direction))} · ${esc(t("inc.group", { n: headCount(p) }))} · ${esc(t("inc.risk"))} <b>${esc(word("sev", p.severity))}</b><br>
      <span class="small">${fmt(p.time)} · ${esc(p.incident_id)}</span>${reasons ? `<br><span class="small">${reasons}</span>` : ""}
      ${p.incident_id && !state.past ? `<br><button data-intercept="${esc(p.incident_id)}">${esc(t("inc.intercept"))}</button>` : ""}</div>`;
  }).join("") : `<p class="small">${esc(t("none"))}</p>`;
}
// The server's rule (roles.owns): a key speaks for its unit, the units inside it and, if
// it names a whole agency, that agency's units. Buttons appear only where a click can work.
function owns(a) {
  const who = state.who, unit = a.unit || {};
  if (!who) return false;
  if (who.role === "admin") return true;
  return who.agency === unit.unit_id || who.agency === unit.agency || String(unit.unit_id || "").startsWith(`${who.agency}-`);
}
function renderAlerts() {
  const mayAct = state.who && ["operator", "admin"].includes(state.who.role);
  const items = [...state.alerts].sort((a, b) => (a.raised_at < b.raised_at ? 1 : -1));
  $("alerts").innerHTML = items.length ? items.map((a) => {
    const open = a.status === "triggered" || a.status === "acknowledged", canAct = mayAct && owns(a);
    const kind = a.facts ? `${word("type", a.facts.type)} ${word("dir", a.facts.direction)} · ${word("sev", a.facts.severity)}` : word("type", a.payload?.type);
    return `<div class="item" data-alert="${esc(a.alert_id)}" data-incident="${esc(a.incident_id)}" data-unit="${esc(a.unit?.unit_id)}" data-status="${esc(a.status)}"><span class="status ${esc(a.status)}">${esc(word("status", a.status))}</span>
      ${esc(kind)} → ${esc(a.unit?.unit_id)}<br><span class="small">${esc(a.alert_id)} · ${esc(t("al.raised"))} ${fmt(a.raised_at)}${a.acknowledged_by ? ` · ${esc(t("al.ackby", { who: a.acknowledged_by }))}` : ""}</span>
      ${canAct && a.status === "triggered" ? `<br><button data-ack="${esc(a.alert_id)}">${esc(t("al.ack"))}</button>` : ""}
      ${canAct && open ? ` <button data-resolve="${esc(a.alert_id)}">${esc(t("al.resolve"))}</button>` : ""}</div>`;
  }).join("") : `<p class="small">${esc(t("none"))}</p>`;
  showBadge();
}
async function refreshAlerts() {
  const r = await api("/v1/alerts"); state.alerts = r.alerts; markSim(r.simulated);
  // A tone for an alert this page has not seen before, still waiting for someone; not
  // for those already there when the page opened.
  let fresh = false;
  for (const a of r.alerts) {
    if (state.known.has(a.alert_id)) continue;
    state.known.add(a.alert_id);
    if (state.primed && a.status === "triggered") fresh = true;
  }
  if (fresh) chime();
  renderAlerts();
}

// ---- the operator's attention: a badge of the alerts not yet acknowledged, a tone ----
function showBadge() {
  const waiting = state.alerts.filter((a) => a.status === "triggered").length, badge = $("alerts-badge");
  document.title = waiting ? `(${I18N.num(waiting)}) ${t("page.title")}` : t("page.title");
  badge.hidden = !waiting; badge.textContent = waiting ? I18N.num(waiting) : "";
}
// The tone is made here (Web Audio: two short notes), no sound file. A browser lets a
// page play sound only after a user gesture: the toggle is that gesture, and the choice
// is remembered; a remembered "on" waits for the first click anywhere on the page.
const sound = { on: localStorage.getItem("bw-sound") === "on", ctx: null, last: 0, played: 0 };
function audio() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return null;
  if (!sound.ctx) sound.ctx = new Ctx();
  if (sound.ctx.state === "suspended") sound.ctx.resume();
  return sound.ctx;
}
function chime() {
  if (!sound.on || Date.now() - sound.last < 1500) return;  // a burst of alerts: one tone
  const ctx = audio();
  if (!ctx) return;
  sound.last = Date.now(); sound.played += 1;
  const at = ctx.currentTime, osc = ctx.createOscillator(), gain = ctx.createGain();
  osc.type = "sine";
  osc.frequency.setValueAtTime(880, at); osc.frequency.setValueAtTime(660, at + 0.16);
  gain.gain.setValueAtTime(0.0001, at);
  gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.34);
  osc.connect(gain).connect(ctx.destination);
  osc.start(at); osc.stop(at + 0.36);
}
function showSound() {
  $("sound").textContent = t(sound.on ? "sound.on" : "sound.off");
  $("sound").setAttribute("aria-pressed", String(sound.on));
}
$("sound").addEventListener("click", () => {
  sound.on = !sound.on;
  try { localStorage.setItem("bw-sound", sound.on ? "on" : "off"); } catch (e) { /* this page only */ }
  showSound();
  if (sound.on) { sound.last = 0; chime(); }  // the gesture unlocks audio; the tone says it works
});
document.addEventListener("pointerdown", () => { if (sound.on && sound.ctx?.state !== "running") audio(); }, { once: true });

// ---- sensor health (GET /v1/sensors/health), every 10 s -------------------------------
// Marked: silent past its expected interval (stale), or reports refused in the window.
function ageText(s) {
  if (s == null) return t("age.never");
  return s < 90 ? t("age.s", { n: I18N.num(Math.round(s)) }) : s < 5400 ? t("age.min", { n: I18N.num(Math.round(s / 60)) })
    : t("age.h", { n: I18N.num(Math.round(s / 3600)) });
}
function renderHealth() {
  const h = state.health, box = $("sensor-health");
  if (!h) return;
  if (!h.sensors.length) { box.textContent = t("none"); return; }
  const rows = h.sensors.map((s) => {
    const stale = s.silent, erroring = s.refused > 0;
    const mark = [stale ? t("health.stale") : "", erroring ? t("health.erroring") : ""].filter(Boolean).join(", ");
    return `<tr data-sensor="${esc(s.sensor_id)}" class="${stale ? "stale" : ""} ${erroring ? "erroring" : ""}">` +
      `<td>${esc(s.sensor_id)}${mark ? ` <b>${esc(mark)}</b>` : ""}</td><td class="num">${esc(ageText(s.last_report_s_ago))}</td>` +
      `<td class="num">${esc(I18N.num(s.per_minute, { maximumFractionDigits: 1 }))}</td>` +
      `<td class="num">${esc(I18N.num(s.refused))} / ${esc(I18N.num(s.refused_total))}</td></tr>`;
  }).join("");
  box.innerHTML = `<table><thead><tr><th>${esc(t("health.sensor"))}</th><th class="num">${esc(t("health.last"))}</th>` +
    `<th class="num">${esc(t("health.rate"))}</th><th class="num">${esc(t("health.errors"))}</th></tr></thead><tbody>${rows}</tbody></table>` +
    `<div class="small">${esc(t("health.window", { n: I18N.num(Math.round(h.window_s / 60)) }))}</div>`;
}
async function refreshHealth() {
  try { state.health = await api("/v1/sensors/health"); } catch (e) { return; }
  renderHealth();
}
async function refreshStats() {
  const r = await api("/v1/stats/monthly"), svg = $("stats");
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  const max = Math.max(1, ...r.months.map((m) => m.count || 0)), w = 340 / Math.max(1, r.months.length);
  r.months.forEach((m, i) => {
    const h = ((m.count || 0) / max) * 80;
    el("rect", { x: 10 + i * w, y: 95 - h, width: Math.max(4, w - 6), height: h, fill: "#6cb6ff" }, svg);
    el("text", { x: 10 + i * w, y: 110 }, svg).textContent = `${m.month}${t("colon")}${m.count == null ? "--" : I18N.num(m.count)}`;
  });
  if (!r.months.length) el("text", { x: 10, y: 60 }, svg).textContent = t("stats.none");
  markSim(r.simulated);
}
async function refreshCase() {
  if (!state.who || state.who.role !== "screening_officer") return;
  $("case-section").hidden = false;
  const list = await api("/v1/cases");
  if (!list.cases.length) { $("case").innerHTML = `<p class="small">${esc(t("case.none"))}</p>`; return; }
  const id = encodeURIComponent(list.cases[list.cases.length - 1]);
  const [c, s] = await Promise.all([api(`/v1/cases/${id}`), api(`/v1/cases/${id}/screening`)]);
  // The screening is decision support: its outcome with the rule's citation and what the
  // officer must still establish, never a decision (IRPA 100(1)).
  const screened = new Map((s.people || []).map((r) => [r.id, r]));
  $("case").innerHTML = `<b>${esc(c.case_id)}</b> ${c.simulated ? `(${esc(t("simulated"))})` : ""}<br>` + (c.people || []).map((p) => {
    const r = screened.get(p.id || p.person_id);
    // eligible_either_way has no single rule: name the open ones (each ends eligible).
    const rule = r && (r.rule || (r.branches || []).map((b) => b.rule).join(" / "));
    const outcome = r ? `<br>STCA: <b>${esc(r.outcome)}</b> ${esc(rule || "")} ${esc((r.citations || [])[0] || "")}` +
      (r.missing.length ? ` · ${esc(t("case.missing", { n: I18N.num(r.missing.length) }))}` : "") : "";
    return `<div class="small">${esc(p.id || p.person_id)}: ${esc(t("case.age", { age: p.age ?? "?" }))}, ${esc((p.nationalities || []).join("/"))}${outcome}</div>`;
  }).join("") + `<p class="small">${esc(t("case.support"))}</p>`;
}

document.addEventListener("click", async (ev) => {
  const b = ev.target.closest("button");
  if (!b) {
    const item = ev.target.closest("#incidents .item[data-incident]");
    if (item) select("incident", item.dataset.incident);
    return;
  }
  if (b.dataset.intercept) { await showIntercept(b.dataset.intercept); return; }
  if (b.dataset.export) {  // fetched with the key (a plain link could not send it), saved as a file
    const r = await fetch(`/v1/export/${b.dataset.export}`, { headers: { "X-API-Key": state.key } });
    if (!r.ok) { b.textContent = t("export.failed", { status: r.status }); return; }
    const a = document.createElement("a");
    a.href = URL.createObjectURL(await r.blob()); a.download = `borderwatch-${b.dataset.export}`;
    a.click(); setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    return;
  }
  if (b.dataset.assign) {
    b.disabled = true;
    try { await api(`/v1/incidents/${encodeURIComponent(b.dataset.assign)}/assign`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ unit_id: b.dataset.unit }) }); b.textContent = t("icpt.assigned"); }
    finally { await refreshResponders(); }
    return;
  }
  const id = b.dataset.ack || b.dataset.resolve;
  if (!id) return;
  b.disabled = true;
  const action = b.dataset.ack ? "ack" : "resolve";
  try { await api(`/v1/alerts/${encodeURIComponent(id)}/${action}`, { method: "POST" }); }
  finally { await refreshAlerts(); }
});

// ---- live feed (Server-Sent Events over fetch, so the key travels in a header) --------
function onEvent(type, data) {
  markSim(data.simulated);
  if (type === "tracks") {
    // A live update carries the new position only; the trail grows here (the whole trail
    // comes with /v1/tracks when the picture is loaded).
    for (const f of data.features) {
      if (!f.geometry) continue;  // withheld by the sharing policy: nothing to place
      const id = f.id || `${f.geometry.coordinates}`, old = state.tracks.get(id);
      const before = old ? (old.properties.trail ? old.properties.trail.coordinates : [old.geometry.coordinates]) : [];
      const coords = before.concat([f.geometry.coordinates]).slice(-120);
      if (f.id && coords.length >= 2) f.properties.trail = { type: "LineString", coordinates: coords };
      state.tracks.set(id, f);
      remember(id, f.properties.time || data.data_time, f.geometry.coordinates, f.properties);
    }
    for (const id of data.ended || []) state.tracks.delete(id);
    if (data.data_time) { state.dataTime = data.data_time; $("clock").textContent = fmt(data.data_time); }
    drawLive();
  } else if (type === "incident") {
    const f = data.feature, id = f.properties.incident_id || f.id || Math.random();
    if (!state.known.has(id)) { state.known.add(id); if (state.primed) chime(); }
    state.incidents.set(id, f);
    renderIncidents(); drawLive();
  } else if (type === "alert") { refreshAlerts().then(() => { if (state.selected) renderDetails(); }); }
  else if (type === "case") { refreshCase(); refreshStats(); }
  else if (type === "replay") { state.who.replay_state = data.state; showWho(); window.BWTimeline.onReplay(); }
  else if (type === "responder") { state.responders.set(data.responder.unit_id, data.responder); renderResponders(); drawLive(); }
  else if (type === "resync") { feed("feed.behind"); loadPicture().then(() => feed("feed.live")); }
}
async function stream() {
  for (;;) {
    try {
      const r = await fetch("/v1/stream", { headers: { "X-API-Key": state.key } });
      if (!r.ok) throw new Error(String(r.status));
      feed("feed.live");
      const reader = r.body.getReader(), dec = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, i); buf = buf.slice(i + 2);
          let type = "message", data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) type = line.slice(7);
            else if (line.startsWith("data: ")) data += line.slice(6);
          }
          if (data) onEvent(type, JSON.parse(data));
        }
      }
    } catch (e) { feed("feed.retry", { why: e.message }); }
    await new Promise((res) => setTimeout(res, 2000));
    await loadPicture();
  }
}

async function loadPicture() {
  const [tracks, incidents] = await Promise.all([api("/v1/tracks"), api("/v1/incidents")]);
  state.tracks = new Map(tracks.features.filter((f) => f.geometry).map((f) => [f.id || `${f.geometry.coordinates}`, f]));
  for (const [id, f] of state.tracks) remember(id, f.properties.time, f.geometry.coordinates, f.properties);
  state.incidents = new Map(incidents.features.map((f) => [f.properties.incident_id || f.id, f]));
  for (const id of state.incidents.keys()) state.known.add(id);
  markSim(tracks.simulated || incidents.simulated);
  renderIncidents(); drawLive(); refreshStats(); refreshCase(); refreshResponders();
  await refreshAlerts();
  state.primed = true;  // from here on, what is new is new to this operator
}

function feed(key, vars) { state.feed = [key, vars]; $("feed").textContent = t(key, vars); }
function showWho() {
  const w = state.who;
  if (!w) return;
  const preparing = w.replay_state === "simulating" ? ` ${t("who.preparing")}` : "";
  $("who").textContent = `${w.agency} · ${word("role", w.role)}${w.replay ? ` · ${t("who.replay", { name: w.replay })}${preparing}` : ""}`;
}
// Another language: the page's fixed text (data-i18n) and everything written here.
function redraw() {
  showWho(); showSound(); showBadge(); renderAlerts(); renderIncidents(); renderResponders(); renderIntercept();
  renderHealth(); drawLive(); if (state.selected) renderDetails();
  if (state.feed) feed(...state.feed);
  if (state.key && state.who) { refreshStats(); refreshCase(); }
  MAP.relabel && MAP.relabel();
  window.BWTimeline.redraw();
  for (const b of document.querySelectorAll("[data-lang]")) b.setAttribute("aria-pressed", String(b.dataset.lang === I18N.lang));
}
window.addEventListener("bw-lang", redraw);
document.addEventListener("click", (ev) => { const b = ev.target.closest("[data-lang]"); if (b) I18N.set(b.dataset.lang); });
async function waitForReplay() {
  // The scenario is simulated before it plays; say so until it starts.
  while (state.who.replay_state === "simulating") {
    await new Promise((r) => setTimeout(r, 3000));
    state.who = await api("/v1/whoami");
    showWho();
  }
}

function showLogin() { $("login").hidden = false; $("app").hidden = true; $("timeline").hidden = true; }
async function start() {
  const m = location.hash.match(/key=([^&]+)/);
  if (m) { sessionStorage.setItem("bw-key", decodeURIComponent(m[1])); history.replaceState(null, "", location.pathname); }
  state.key = sessionStorage.getItem("bw-key");
  if (!state.key) { showLogin(); return; }
  $("login").hidden = true; $("app").hidden = false; $("timeline").hidden = false;
  state.who = await api("/v1/whoami");
  showWho();
  markSim(state.who.simulated || !!state.who.replay);
  if (state.who.replay_state === "simulating") waitForReplay();
  const drawn = MAP.init($("map"), { onSelect: select });
  mapLayers = await api("/v1/map");
  sensors = await allSensors();
  MAP.setReference(mapLayers);
  MAP.setSensors(sensors);
  if (drawn) {
    try { const b = await api("/v1/basemap"); if (b.basemap) MAP.addBasemap(b.basemap); } catch (e) { /* no basemap: plain */ }
  }
  // A failed first load (a 500 under load once left the page without its feed) is tried
  // again rather than leaving the operator a page that never goes live.
  for (;;) {
    try { await loadPicture(); break; } catch (e) {
      if (e.message === "401") return;
      feed("feed.retry", { why: e.message });
      await new Promise((res) => setTimeout(res, 2000));
    }
  }
  MAP.fit();  // once: sensors, their coverage and what is on the picture, no empty margin
  stream();
  setInterval(async () => { sensors = await allSensors(); MAP.setSensors(sensors); }, 15000);
  refreshHealth(); setInterval(refreshHealth, 10000);
  window.BWTimeline.start();
}
window.BWDash = { state, sound, chime, api, setPast };
I18N.apply(); redraw();
$("login-form").addEventListener("submit", (ev) => { ev.preventDefault(); sessionStorage.setItem("bw-key", $("key-input").value.trim()); start(); });
start();
