// Borderwatch dashboard: plain JavaScript and SVG, everything from this service (no tiles,
// no fonts, nothing from outside), so it works offline. Keyboard: Tab reaches every button;
// on the map, arrow keys pan and + / - zoom.
"use strict";
const ZONE = "America/Edmonton";
const NS = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);
const state = { key: null, who: null, tracks: new Map(), incidents: new Map(), alerts: [],
                responders: new Map(), plan: null,
                view: { lat: 49.0, lon: -111.93, span: 14000 }, dataTime: null, sim: false };

function fmt(t) {
  if (!t) return "—";
  const d = new Date(t);
  const local = d.toLocaleTimeString("en-CA", { timeZone: ZONE, hour12: false, timeZoneName: "short" });
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

// ---- map projection: local equirectangular metres around the view centre -------------
function xy(lon, lat) {
  const k = Math.cos(state.view.lat * Math.PI / 180);
  return [(lon - state.view.lon) * 111320 * k, -(lat - state.view.lat) * 110540];
}
function setView() {
  const s = state.view.span, map = $("map");
  const r = map.clientHeight ? map.clientWidth / map.clientHeight : 1.5;
  map.setAttribute("viewBox", `${-s * r / 2} ${-s / 2} ${s * r} ${s}`);
  drawStatic(); drawLive();
}
function el(tag, attrs, parent) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}
function clear(id) { const g = $(id); while (g.firstChild) g.removeChild(g.firstChild); return g; }
const px = () => state.view.span / 600;  // metres per screen pixel, roughly

// Labels placed so far in this drawing (map units): a new label that would cover one is
// moved a line down or up, so a track's head count never hides under a sensor's name.
let staticLabels = [], liveLabels = [];
function label(parent, placed, x, y, size, text, attrs = {}) {
  const w = text.length * size * 0.6, h = size * 1.15;
  for (const step of [0, 1, -1, 2, -2, 3, -3]) {
    const top = y + step * h - size;
    if (!placed.some((b) => x < b.x + b.w && b.x < x + w && top < b.y + b.h && b.y < top + h) || step === -3) {
      placed.push({ x, y: top, w, h });
      el("text", { x, y: y + step * h, "font-size": size, ...attrs }, parent).textContent = text;
      return;
    }
  }
}

let mapLayers = null, sensors = null;
function drawStatic() {
  if (!mapLayers) return;
  const b = clear("layer-boundary"), p = clear("layer-ports"), s = clear("layer-sensors"), c = clear("layer-coverage");
  staticLabels = [];
  if (mapLayers.features.some((f) => f.properties.layer === "boundary")) {  // once, at the left
    const y = xy(state.view.lon, 49.0)[1], left = $("map").viewBox.baseVal.x + 10 * px();
    label(b, staticLabels, left, y - 8 * px(), 11 * px(), "▲ CANADA");
    label(b, staticLabels, left, y + 18 * px(), 11 * px(), "▼ UNITED STATES");
  }
  for (const f of mapLayers.features) {
    if (f.properties.layer === "boundary") {
      const pts = f.geometry.coordinates.filter(([lo]) => Math.abs(lo - state.view.lon) < 2)
        .map(([lo, la]) => xy(lo, la).join(",")).join(" ");
      el("polyline", { points: pts, fill: "none", stroke: "#e0e6ee", "stroke-width": 2 * px(), "stroke-dasharray": `${8 * px()} ${4 * px()}` }, b);
    } else if (f.properties.layer === "port") {
      const [x, y] = xy(...f.geometry.coordinates);
      el("rect", { x: x - 4 * px(), y: y - 4 * px(), width: 8 * px(), height: 8 * px(), fill: "#6cb6ff" }, p);
      label(p, staticLabels, x + 8 * px(), y + 14 * px(), 11 * px(), f.properties.label);
    }
  }
  for (const f of (sensors ? sensors.features : [])) {
    const geoms = f.geometry.type === "GeometryCollection" ? f.geometry.geometries : [f.geometry];
    for (const g of geoms) {
      if (g.type === "Polygon") {
        el("polygon", { points: g.coordinates[0].map(([lo, la]) => xy(lo, la).join(",")).join(" "), fill: "rgba(108,182,255,0.08)", stroke: "rgba(108,182,255,0.4)", "stroke-width": px() }, c);
      } else if (g.type === "Point") {
        const [x, y] = xy(...g.coordinates);
        el("circle", { cx: x, cy: y, r: 3 * px(), fill: "#8795a6" }, s);
        label(s, staticLabels, x + 5 * px(), y - 5 * px(), 10 * px(), f.properties.sensor_id, { fill: "#8795a6" });
      }
    }
  }
}
function drawLive() {
  const t = clear("layer-tracks"), tr = clear("layer-trails"), inc = clear("layer-incidents");
  liveLabels = [...staticLabels];
  for (const f of state.tracks.values()) {
    if (!f.geometry) continue;  // a position the sharing policy withheld: not on the map
    const [lo, la] = f.geometry.coordinates, [x, y] = xy(lo, la), p = f.properties;
    const colour = p.kind === "animal" ? "#8fd18f" : p.kind === "vehicle" ? "#c9a0ff" : "#ffcf5c";
    if (p.trail) el("polyline", { points: p.trail.coordinates.map(([a, b]) => xy(a, b).join(",")).join(" "), fill: "none", stroke: colour, "stroke-opacity": 0.5, "stroke-width": 1.5 * px() }, tr);
    const h = (p.heading_deg || 0) * Math.PI / 180, len = 18 * px();
    el("line", { x1: x, y1: y, x2: x + Math.sin(h) * len, y2: y - Math.cos(h) * len, stroke: colour, "stroke-width": 2 * px() }, t);
    el("circle", { cx: x, cy: y, r: 5 * px(), fill: colour, "data-track": f.id || "" }, t);
    label(t, liveLabels, x + 7 * px(), y + 4 * px(), 12 * px(), `${p.kind || ""} ×${headCount(p)}`);
  }
  for (const f of state.incidents.values()) {
    if (!f.geometry) continue;
    const [x, y] = xy(...f.geometry.coordinates), r = 9 * px();
    el("polygon", { points: `${x},${y - r} ${x + r},${y} ${x},${y + r} ${x - r},${y}`, fill: "none", stroke: f.properties.type === "crossing" ? "#ff6b6b" : "#f2b84b", "stroke-width": 2 * px() }, inc);
  }
  drawResponders();
  $("tracks").textContent = state.tracks.size ? [...state.tracks.values()].map((f) => `${f.id || "track"}: ${f.properties.kind} ×${headCount(f.properties)} ${f.properties.speed_ms ?? ""} m/s ${f.properties.heading_deg ?? ""}°`).join("\n") : "none";
  $("tracks").style.whiteSpace = "pre-line";
}

// Field units (blue squares, callsign and age of the position) and, for the incident whose
// intercept was asked, the group's predicted path (dashed) and the proposed point (cross).
function age(s) { return s == null ? "home" : s < 90 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`; }
function drawResponders() {
  const g = clear("layer-responders");
  const plan = state.plan;
  if (plan) {
    el("polyline", { points: plan.path.map(([a, b]) => xy(a, b).join(",")).join(" "), fill: "none", stroke: "#6cb6ff", "stroke-dasharray": `${4 * px()} ${4 * px()}`, "stroke-width": 1.5 * px() }, g);
    const best = plan.proposals[0];
    if (best) {
      const [x, y] = xy(best.lon, best.lat), r = 7 * px();
      el("path", { d: `M${x - r},${y - r}L${x + r},${y + r}M${x - r},${y + r}L${x + r},${y - r}`, stroke: "#6cb6ff", "stroke-width": 2.5 * px(), "data-intercept-point": best.unit_id }, g);
    }
  }
  for (const u of state.responders.values()) {
    const [x, y] = xy(u.lon, u.lat), r = 5 * px();
    el("rect", { x: x - r, y: y - r, width: 2 * r, height: 2 * r, fill: u.stale ? "none" : "#6cb6ff", stroke: "#6cb6ff", "stroke-width": 1.5 * px(), "data-responder": u.unit_id }, g);
    label(g, liveLabels, x + 7 * px(), y + 4 * px(), 11 * px(), `${u.callsign} · ${age(u.age_s)}${u.availability !== "available" ? ` · ${u.availability}` : ""}`, { fill: "#6cb6ff" });
  }
}
function renderResponders() {
  const items = [...state.responders.values()];
  $("responders").innerHTML = items.length ? items.map((u) =>
    `<div data-unit-row="${esc(u.unit_id)}">${esc(u.callsign)} (${esc(u.agency)}) · ${esc(u.availability.replace("_", " "))} · position ${esc(age(u.age_s))}${u.stale ? " · <b>stale</b>" : ""}${u.simulated ? " · simulated" : ""}</div>`).join("") : "none";
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
  $("intercept").innerHTML = `<div class="item" data-plan="${esc(plan.incident_id)}">Intercept for <b>${esc(plan.incident_id)}</b>: ` +
    (best ? `${esc(best.callsign)} in ${Math.round(best.travel_s / 60)} min at ${fmt(best.at)} (${(best.distance_m / 1000).toFixed(1)} km straight line)` +
      (mayAssign ? `<br><button data-assign="${esc(plan.incident_id)}" data-unit="${esc(best.unit_id)}">Assign ${esc(best.callsign)}</button>` : "")
      : esc(plan.reason || "no proposal")) +
    `<br><span class="small">${esc(plan.assumptions[0])}</span></div>`;
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

// ---- panels ---------------------------------------------------------------------------
function renderIncidents() {
  const items = [...state.incidents.values()].reverse();
  $("incidents").innerHTML = items.length ? items.map((f) => {
    const p = f.properties, reasons = (p.risk?.reasons || []).filter((r) => r.points).map((r) => esc(r.text)).join("; ");
    return `<div class="item sev-${esc(p.severity)}" data-incident="${esc(p.incident_id)}" data-type="${esc(p.type)}">
      <b>${esc((p.type || "").toUpperCase())}</b> ${esc(p.direction)} · group of ${esc(headCount(p))} · risk <b>${esc(p.severity)}</b><br>
      <span class="small">${fmt(p.time)} · ${esc(p.incident_id)}</span>${reasons ? `<br><span class="small">${reasons}</span>` : ""}
      ${p.incident_id ? `<br><button data-intercept="${esc(p.incident_id)}">Intercept</button>` : ""}</div>`;
  }).join("") : '<p class="small">none</p>';
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
    const kind = a.facts ? `${a.facts.type} ${a.facts.direction || ""} · ${a.facts.severity}` : (a.payload?.type || "");
    return `<div class="item" data-alert="${esc(a.alert_id)}" data-incident="${esc(a.incident_id)}" data-unit="${esc(a.unit?.unit_id)}" data-status="${esc(a.status)}"><span class="status ${esc(a.status)}">${esc(a.status)}</span>
      ${esc(kind)} → ${esc(a.unit?.unit_id)}<br><span class="small">${esc(a.alert_id)} · raised ${fmt(a.raised_at)}${a.acknowledged_by ? ` · ack by ${esc(a.acknowledged_by)}` : ""}</span>
      ${canAct && a.status === "triggered" ? `<br><button data-ack="${esc(a.alert_id)}">Acknowledge</button>` : ""}
      ${canAct && open ? ` <button data-resolve="${esc(a.alert_id)}">Resolve</button>` : ""}</div>`;
  }).join("") : '<p class="small">none</p>';
}
async function refreshAlerts() { const r = await api("/v1/alerts"); state.alerts = r.alerts; markSim(r.simulated); renderAlerts(); }
async function refreshStats() {
  const r = await api("/v1/stats/monthly"), svg = $("stats");
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  const max = Math.max(1, ...r.months.map((m) => m.count || 0)), w = 340 / Math.max(1, r.months.length);
  r.months.forEach((m, i) => {
    const h = ((m.count || 0) / max) * 80;
    el("rect", { x: 10 + i * w, y: 95 - h, width: Math.max(4, w - 6), height: h, fill: "#6cb6ff" }, svg);
    el("text", { x: 10 + i * w, y: 110 }, svg).textContent = `${m.month}: ${m.count ?? "--"}`;
  });
  if (!r.months.length) el("text", { x: 10, y: 60 }, svg).textContent = "no cases yet";
  markSim(r.simulated);
}
async function refreshCase() {
  if (!state.who || state.who.role !== "screening_officer") return;
  $("case-section").hidden = false;
  const list = await api("/v1/cases");
  if (!list.cases.length) { $("case").innerHTML = '<p class="small">no case of your agency yet</p>'; return; }
  const id = encodeURIComponent(list.cases[list.cases.length - 1]);
  const [c, s] = await Promise.all([api(`/v1/cases/${id}`), api(`/v1/cases/${id}/screening`)]);
  // The screening is decision support: its outcome with the rule's citation and what the
  // officer must still establish, never a decision (IRPA 100(1)).
  const screened = new Map((s.people || []).map((r) => [r.id, r]));
  $("case").innerHTML = `<b>${esc(c.case_id)}</b> ${c.simulated ? "(simulated)" : ""}<br>` + (c.people || []).map((p) => {
    const r = screened.get(p.id || p.person_id);
    // eligible_either_way has no single rule: name the open ones (each ends eligible).
    const rule = r && (r.rule || (r.branches || []).map((b) => b.rule).join(" / "));
    const outcome = r ? `<br>STCA: <b>${esc(r.outcome)}</b> ${esc(rule || "")} ${esc((r.citations || [])[0] || "")}` +
      (r.missing.length ? ` · to establish: ${esc(r.missing.length)} fact(s)` : "") : "";
    return `<div class="small">${esc(p.id || p.person_id)}: age ${esc(p.age ?? "?")}, ${esc((p.nationalities || []).join("/"))}${outcome}</div>`;
  }).join("") + '<p class="small">Screening is decision support; an officer decides (IRPA 100(1)).</p>';
}

document.addEventListener("click", async (ev) => {
  const b = ev.target.closest("button");
  if (!b) return;
  if (b.dataset.intercept) { await showIntercept(b.dataset.intercept); return; }
  if (b.dataset.assign) {
    b.disabled = true;
    try { await api(`/v1/incidents/${encodeURIComponent(b.dataset.assign)}/assign`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ unit_id: b.dataset.unit }) }); b.textContent = "Assigned"; }
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
    }
    for (const id of data.ended || []) state.tracks.delete(id);
    if (data.data_time) { state.dataTime = data.data_time; $("clock").textContent = fmt(data.data_time); }
    drawLive();
  } else if (type === "incident") {
    const f = data.feature; state.incidents.set(f.properties.incident_id || f.id || Math.random(), f);
    renderIncidents(); drawLive();
  } else if (type === "alert") { refreshAlerts(); }
  else if (type === "case") { refreshCase(); refreshStats(); }
  else if (type === "responder") { state.responders.set(data.responder.unit_id, data.responder); renderResponders(); drawLive(); }
  else if (type === "resync") { $("feed").textContent = "feed: fell behind, reloading"; loadPicture().then(() => { $("feed").textContent = "feed: live"; }); }
}
async function stream() {
  for (;;) {
    try {
      const r = await fetch("/v1/stream", { headers: { "X-API-Key": state.key } });
      if (!r.ok) throw new Error(String(r.status));
      $("feed").textContent = "feed: live";
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
    } catch (e) { $("feed").textContent = `feed: reconnecting (${e.message})`; }
    await new Promise((res) => setTimeout(res, 2000));
    await loadPicture();
  }
}

async function loadPicture() {
  const [tracks, incidents] = await Promise.all([api("/v1/tracks"), api("/v1/incidents")]);
  state.tracks = new Map(tracks.features.filter((f) => f.geometry).map((f) => [f.id || `${f.geometry.coordinates}`, f]));
  state.incidents = new Map(incidents.features.map((f) => [f.properties.incident_id || f.id, f]));
  markSim(tracks.simulated || incidents.simulated);
  renderIncidents(); drawLive(); refreshAlerts(); refreshStats(); refreshCase(); refreshResponders();
}

function showWho() {
  const w = state.who, preparing = w.replay_state === "simulating"
    ? " (preparing: simulating the night through its thermal frames, about a minute)" : "";
  $("who").textContent = `${w.agency} · ${w.role}${w.replay ? ` · replay ${w.replay}${preparing}` : ""}`;
}
async function waitForReplay() {
  // The scenario is simulated before it plays; say so until it starts.
  while (state.who.replay_state === "simulating") {
    await new Promise((r) => setTimeout(r, 3000));
    state.who = await api("/v1/whoami");
    showWho();
  }
}

function showLogin() { $("login").hidden = false; $("app").hidden = true; }
async function start() {
  const m = location.hash.match(/key=([^&]+)/);
  if (m) { sessionStorage.setItem("bw-key", decodeURIComponent(m[1])); history.replaceState(null, "", location.pathname); }
  state.key = sessionStorage.getItem("bw-key");
  if (!state.key) { showLogin(); return; }
  $("login").hidden = true; $("app").hidden = false;
  state.who = await api("/v1/whoami");
  showWho();
  markSim(state.who.simulated || !!state.who.replay);
  if (state.who.replay_state === "simulating") waitForReplay();
  mapLayers = await api("/v1/map");
  sensors = await allSensors();
  if (sensors.features.length) {
    const pts = sensors.features.map((f) => (f.geometry.type === "Point" ? f.geometry : f.geometry.geometries[0]).coordinates);
    state.view.lon = pts.reduce((s, p) => s + p[0], 0) / pts.length;
    state.view.lat = pts.reduce((s, p) => s + p[1], 0) / pts.length;
    // Frame the sensors (and what they cover) with a margin; at least 3 km across.
    const ext = pts.map(([lo, la]) => xy(lo, la)).reduce((m, [x, y]) => Math.max(m, Math.abs(x), Math.abs(y)), 0);
    state.view.span = Math.min(60000, Math.max(3000, 2 * ext + 2500));
  }
  setView();
  await loadPicture();
  stream();
  setInterval(async () => { sensors = await allSensors(); drawStatic(); }, 15000);
}
$("login-form").addEventListener("submit", (ev) => { ev.preventDefault(); sessionStorage.setItem("bw-key", $("key-input").value.trim()); start(); });
$("map").addEventListener("keydown", (ev) => {
  const v = state.view, step = v.span / 8 / 111000;
  const moves = { ArrowLeft: [0, -step / Math.cos(v.lat * Math.PI / 180)], ArrowRight: [0, step / Math.cos(v.lat * Math.PI / 180)], ArrowUp: [step, 0], ArrowDown: [-step, 0] };
  if (moves[ev.key]) { v.lat += moves[ev.key][0]; v.lon += moves[ev.key][1]; }
  else if (ev.key === "+" || ev.key === "=") v.span /= 1.4;
  else if (ev.key === "-") v.span *= 1.4;
  else return;
  ev.preventDefault(); setView();
});
window.addEventListener("resize", setView);
start();
