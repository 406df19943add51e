// Borderwatch's map: Leaflet, with every layer a vector layer drawn from this service's
// GeoJSON (no tiles are fetched; with no basemap the background is plain). An operator's
// offline PMTiles basemap, when `serve --basemap` gave one, is drawn under them.
// The packages come from `make web` (scripts/install-web.sh); without them the page
// works and says so in the map's place. Exposed as window.BWMap for dashboard.js.
"use strict";
(function () {
  const INSTALL = "make web";
  const hasLeaflet = typeof window.L !== "undefined";
  const I18N = window.BWI18n, t = (k, v) => I18N.t(k, v);
  // A country's name on the map, in the page's language (an unknown code as it came).
  const country = (code) => { const k = `country.${code}`, s = t(k); return s === k ? code || "" : s; };
  const word = (group, value) => { if (!value) return ""; const k = `${group}.${value}`, s = t(k); return s === k ? value : s; };
  const colours = { person: "#ffcf5c", vehicle: "#c9a0ff", animal: "#8fd18f", unknown: "#ffcf5c" };
  const M = { available: hasLeaflet, map: null, layers: {}, markers: { tracks: new Map(), incidents: new Map() } };
  const escHtml = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));

  // Shown in the map's place when the packages were not installed (a user who skipped
  // the set-up step): the rest of the dashboard still works.
  function missing(container) {
    container.classList.add("map-missing");
    const draw = () => { container.innerHTML = `<div>${t("map.missing", { cmd: INSTALL })}</div>`; };
    draw(); M.relabel = draw;
  }

  // Latitude/longitude and MGRS (1 m) under the cursor.
  function fmtLatLon(ll) {
    // N/S and E/W in both languages (French writes W as O: ouest).
    const ns = ll.lat >= 0 ? "N" : "S", ew = ll.lng >= 0 ? "E" : I18N.lang === "fr" ? "O" : "W";
    const deg = (v) => I18N.num(Math.abs(v), { minimumFractionDigits: 5, maximumFractionDigits: 5, useGrouping: false });
    return `${deg(ll.lat)}° ${ns}  ${deg(ll.lng)}° ${ew}`;
  }
  function fmtMgrs(ll) {
    if (typeof window.mgrs === "undefined") return `MGRS: ${t("map.mgrs.missing")}`;
    try {
      const s = window.mgrs.forward([ll.lng, ll.lat], 5);  // [lon, lat], 1 m digits
      const m = s.match(/^(\d{1,2}[C-X])([A-Z]{2})(\d{5})(\d{5})$/);
      return m ? `${m[1]} ${m[2]} ${m[3]} ${m[4]}` : s;
    } catch (e) { return "MGRS: —"; }  // outside MGRS's latitudes (polar regions)
  }

  function control(position, className, html) {
    const C = L.Control.extend({ onAdd() {
      const div = L.DomUtil.create("div", `leaflet-control bw-panel ${className}`);
      div.innerHTML = html; L.DomEvent.disableClickPropagation(div); return div;
    } });
    const c = new C({ position }); c.addTo(M.map); return c.getContainer();
  }

  const legend = () => `<b>${t("map.legend")}</b>
    <div><i class="sw line"></i>${t("map.lg.boundary")}</div>
    <div><i class="sw port"></i>${t("map.lg.port")}</div>
    <div><i class="sw sensor"></i>${t("map.lg.sensor")} · <i class="sw cov"></i>${t("map.lg.coverage")}</div>
    <div><i class="sw dot" style="background:${colours.person}"></i>${t("map.lg.people")} ·
         <i class="sw dot" style="background:${colours.vehicle}"></i>${t("map.lg.vehicle")} ·
         <i class="sw dot" style="background:${colours.animal}"></i>${t("map.lg.animal")}</div>
    <div><i class="sw trail"></i>${t("map.lg.trail")}</div>
    <div><i class="sw diamond bad"></i>${t("map.lg.crossing")} · <i class="sw diamond warn"></i>${t("map.lg.approach")}</div>
    <div><i class="sw unit"></i>${t("map.lg.unit")} · <i class="sw plan"></i>${t("map.lg.intercept")}</div>`;
  const OVERLAYS = { boundary: "map.layer.boundary", ports: "map.layer.ports", sensors: "map.layer.sensors",
                     coverage: "map.layer.coverage", trails: "map.layer.trails", tracks: "map.layer.tracks",
                     incidents: "map.layer.incidents", responders: "map.layer.responders" };
  // The layer control, named in the page's language; built again when it changes.
  function layerControl() {
    if (M.layersControl) M.layersControl.remove();
    const bases = {}, overlays = {};
    for (const [key, layer] of M.baseList) bases[t(key)] = layer;
    for (const [name, key] of Object.entries(OVERLAYS)) overlays[t(key)] = M.layers[name];
    M.layersControl = L.control.layers(bases, overlays, { collapsed: false, position: "topright" }).addTo(M.map);
  }

  M.init = function (container, { onSelect }) {
    if (!hasLeaflet) { missing(container); return false; }
    M.onSelect = onSelect;
    const map = L.map(container, { zoomControl: true, attributionControl: true, preferCanvas: false,
                                   minZoom: 4, maxZoom: 19, zoomSnap: 0.25, keyboard: true });
    M.map = map;
    map.attributionControl.setPrefix("Leaflet");
    map.setView([49.0, -111.93], 11);
    L.control.scale({ metric: true, imperial: false, maxWidth: 160 }).addTo(map);
    const cursor = control("bottomleft", "bw-cursor", `<span id="cursor-latlon">${escHtml(t("map.cursor"))}</span><br><span id="cursor-mgrs">MGRS —</span>`);
    map.on("mousemove", (ev) => {
      cursor.querySelector("#cursor-latlon").textContent = fmtLatLon(ev.latlng);
      cursor.querySelector("#cursor-mgrs").textContent = `MGRS ${fmtMgrs(ev.latlng)}`;
    });
    M.legend = control("bottomright", "bw-legend", legend());
    // Panes keep the drawing order whatever order the layers are toggled in: an incident's
  // diamond (hollow, so the group's dot shows through) above the tracks, to be clicked.
    for (const [name, z] of [["coverage", 350], ["reference", 400], ["trails", 420], ["live", 450], ["incidents", 455], ["units", 460], ["labels", 470]]) {
      map.createPane(name).style.zIndex = z;
    }
    const L_ = M.layers;
    L_.coverage = L.layerGroup(); L_.boundary = L.layerGroup(); L_.ports = L.layerGroup();
    L_.sensors = L.layerGroup(); L_.trails = L.layerGroup(); L_.tracks = L.layerGroup();
    L_.incidents = L.layerGroup(); L_.responders = L.layerGroup();
    for (const g of Object.values(L_)) g.addTo(map);
    M.baseList = [["map.base.plain", L.layerGroup().addTo(map)]];
    layerControl();
    map.on("zoomend moveend overlayadd overlayremove", declutter);
    return true;
  };

  // The operator's PMTiles file (serve --basemap), drawn by protomaps-leaflet from byte
  // ranges of this service's /basemap.pmtiles: nothing leaves the machine.
  M.addBasemap = function (url) {
    if (!M.map || typeof window.protomapsL === "undefined") return;
    const layer = window.protomapsL.leafletLayer({ url, flavor: "dark", lang: I18N.lang });
    M.baseList.push(["map.base.pmtiles", layer]);
    map_swapBase(layer);
    layerControl();
  };
  function map_swapBase(layer) {
    for (const [, b] of M.baseList) if (b !== layer) M.map.removeLayer(b);
    layer.addTo(M.map); layer.bringToBack && layer.bringToBack();
  }

  // Labels that would cover one already shown are hidden, most important first
  // (incidents, then tracks, units, ports, sensors); hover shows any of them.
  function declutter() {
    if (!M.map) return;
    const shown = [];
    const els = [...M.map.getContainer().querySelectorAll(".bw-label")].filter((e) => !e.classList.contains("bw-zoomed-out"));
    els.sort((a, b) => (+b.dataset.priority || 0) - (+a.dataset.priority || 0));
    for (const e of els) {
      e.style.visibility = "";
      const r = e.getBoundingClientRect();
      const hit = shown.some((s) => r.left < s.right && s.left < r.right && r.top < s.bottom && s.top < r.bottom);
      if (hit) e.style.visibility = "hidden"; else shown.push(r);
    }
  }
  M.declutter = declutter;
  // A label is a marker of its own (an HTML icon), not a permanent tooltip: Leaflet 1.9
  // left permanent tooltips behind when their layer was cleared and redrawn many times a
  // second (docs/gotchas.md).
  function label(group, latlng, text, priority, minZoom = 0) {
    const icon = L.divIcon({ className: "bw-label-icon", iconSize: [0, 0], iconAnchor: [-9, 8],
      html: `<span class="bw-label" data-priority="${priority}" data-min-zoom="${minZoom}">${escHtml(text)}</span>` });
    group.addLayer(L.marker(latlng, { icon, interactive: false, keyboard: false, pane: "labels" }));
  }
  // Place and sensor names only once zoomed in far enough to read them apart.
  function zoomLabels() {
    const z = M.map.getZoom();
    for (const e of M.map.getContainer().querySelectorAll(".bw-label")) {
      e.classList.toggle("bw-zoomed-out", z < (+e.dataset.minZoom || 0));
    }
    declutter();
  }

  // Which side is which, without a basemap: the north side (the segment's "left") is
  // tinted, and the two names sit on either side of the line at the map's west edge.
  function sideNames() {
    if (!M.sides || !M.map.hasLayer(M.layers.boundary)) { M.sideLabels && M.sideLabels.clearLayers(); return; }
    const west = M.map.containerPointToLatLng([70, 0]).lng;
    let best = null;
    for (const c of M.sides.coords) if (!best || Math.abs(c[0] - west) < Math.abs(best[0] - west)) best = c;
    const y = M.map.latLngToContainerPoint([best[1], west]).y;
    M.sideLabels.clearLayers();
    const at = (dy) => M.map.containerPointToLatLng([60, y + dy]);
    const side = (text) => L.divIcon({ className: "bw-label-icon", iconSize: [0, 0], html: `<span class="bw-label bw-side" data-priority="10">${escHtml(text)}</span>` });
    M.sideLabels.addLayer(L.marker(at(-22), { interactive: false, pane: "labels", icon: side(`▲ ${country(M.sides.north)}`) }));
    M.sideLabels.addLayer(L.marker(at(8), { interactive: false, pane: "labels", icon: side(`▼ ${country(M.sides.south)}`) }));
    declutter();  // the names first; a place's label under them waits for the next move
  }
  M.setReference = function (fc) {
    if (!M.map) return;
    M.layers.boundary.clearLayers(); M.layers.ports.clearLayers();
    M.sideLabels = M.sideLabels || L.layerGroup().addTo(M.map);
    M.sides = null;
    for (const f of fc.features) {
      const p = f.properties;
      if (p.layer === "boundary") {
        const coords = f.geometry.coordinates;
        const north = coords.concat(coords.slice().reverse().map(([lo, la]) => [lo, la + 1.5]));
        M.layers.boundary.addLayer(L.polygon(north.map(([lo, la]) => [la, lo]), { pane: "coverage", stroke: false, fillColor: "#3a5a80", fillOpacity: 0.18, interactive: false }));
        // Walking west to east, the left side is the north one.
        const eastward = coords[coords.length - 1][0] > coords[0][0];
        const [n, so] = eastward ? [p.left, p.right] : [p.right, p.left];
        M.sides = { coords: (M.sides ? M.sides.coords : []).concat(coords), north: n, south: so };
        const line = L.geoJSON(f, { pane: "reference", style: { color: "#e0e6ee", weight: 2.5, dashArray: "10 5", className: "bw-boundary" } });
        line.bindTooltip(() => escHtml(t("map.boundary", { name: p.label || p.segment })), { sticky: true });
        M.layers.boundary.addLayer(line);
      } else if (p.layer === "port") {
        const [lon, lat] = f.geometry.coordinates;
        const m = L.marker([lat, lon], { pane: "reference", icon: L.divIcon({ className: "bw-port", iconSize: [12, 12] }), keyboard: false });
        M.layers.ports.addLayer(m);
        label(M.layers.ports, [lat, lon], p.label, 2, 11);
      }
    }
    M.map.off("zoomend", zoomLabels); M.map.on("zoomend", zoomLabels);
    M.map.off("moveend overlayadd overlayremove", sideNames); M.map.on("moveend overlayadd overlayremove", sideNames);
    setTimeout(() => { zoomLabels(); sideNames(); }, 0);
  };

  M.setSensors = function (fc) {
    if (!M.map) return;
    M.layers.sensors.clearLayers(); M.layers.coverage.clearLayers();
    for (const f of fc.features) {
      const geoms = f.geometry.type === "GeometryCollection" ? f.geometry.geometries : [f.geometry];
      const p = f.properties;
      for (const g of geoms) {
        if (g.type === "Polygon") {
          M.layers.coverage.addLayer(L.geoJSON(g, { pane: "coverage", interactive: false, style: { color: "#6cb6ff", weight: 1, opacity: 0.45, fillOpacity: 0.07 } }));
        } else if (g.type === "Point") {
          const [lon, lat] = g.coordinates;
          const m = L.circleMarker([lat, lon], { pane: "reference", radius: 4, color: "#0b0f14", weight: 1, fillColor: "#9aa8b8", fillOpacity: 1 });
          m.bindTooltip(() => `${escHtml(p.sensor_id)}${p.kind ? ` · ${escHtml(p.kind)}` : ""}<br>${escHtml(t("map.sensor", { time: p.last_seen ? I18N.date(p.last_seen) : "—", n: I18N.num(p.detections ?? 0) }))}`);
          M.layers.sensors.addLayer(m);
        }
      }
    }
  };

  // What the map frames: sensors and what they cover, incidents, tracks.
  M.dataBounds = function () {
    if (!M.map) return null;
    const b = L.latLngBounds([]);
    // Not the field units: one at its base 20 km away would leave the picture mostly empty.
    for (const k of ["coverage", "sensors", "incidents", "tracks"]) {
      M.layers[k].eachLayer((l) => { if (l.getBounds) b.extend(l.getBounds()); else if (l.getLatLng) b.extend(l.getLatLng()); });
    }
    return b.isValid() ? b : null;
  };
  M.fit = function () {
    if (!M.map) return;
    const b = M.dataBounds();
    if (b) M.map.fitBounds(b, { padding: [30, 30], maxZoom: 15, animate: false });
    else {  // nothing yet: the ports of entry, else the boundary's first kilometres
      const p = L.latLngBounds([]);
      M.layers.ports.eachLayer((l) => p.extend(l.getLatLng()));
      if (p.isValid()) M.map.fitBounds(p.pad(0.5), { maxZoom: 12, animate: false });
    }
  };

  // Each track and incident keeps its layers while it is unchanged (a signature of what
  // is drawn): the feed updates many times a second, and a marker replaced between the
  // press and the release of a click never receives the click.
  const drawn = { tracks: new Map(), incidents: new Map() };
  function sync(kind, items, sigOf, build) {
    const seen = new Set();
    for (const [id, f] of items) {
      if (!f.geometry) continue;  // a position the sharing policy withheld: not on the map
      seen.add(id);
      const sig = sigOf(id, f), cur = drawn[kind].get(id);
      if (cur && cur.sig === sig) continue;
      const built = build(id, f, cur && cur.marker);  // a track's dot is moved, not replaced
      const keep = new Set(built.parts.map(([, l]) => l));
      if (cur) for (const [g, l] of cur.parts) if (!keep.has(l)) g.removeLayer(l);
      for (const [g, l] of built.parts) g.addLayer(l);
      drawn[kind].set(id, { sig, ...built });
      M.markers[kind].set(id, built.marker);
    }
    for (const [id, cur] of drawn[kind]) {
      if (seen.has(id)) continue;
      for (const [g, l] of cur.parts) g.removeLayer(l);
      drawn[kind].delete(id); M.markers[kind].delete(id);
    }
  }
  function labelMarker(latlng, text, priority, minZoom = 0) {
    const g = L.layerGroup(); label(g, latlng, text, priority, minZoom); return g;
  }

  // Tracks (dot, heading tick, trail), incidents (diamonds), units and the intercept.
  M.drawLive = function ({ tracks, incidents, responders, plan, headCount, selected }) {
    if (!M.map) return;
    const L_ = M.layers, isSel = (kind, id) => !!selected && selected.kind === kind && selected.id === id;
    sync("tracks", tracks, (id, f) => JSON.stringify([f.geometry.coordinates, f.properties.trail?.coordinates.length, headCount(f.properties), f.properties.heading_deg, isSel("track", id), I18N.lang]), (id, f, old) => {
      const p = f.properties, [lon, lat] = f.geometry.coordinates, colour = colours[p.kind] || colours.unknown;
      const parts = [];
      if (p.trail) {
        parts.push([L_.trails, L.polyline(p.trail.coordinates.map(([a, b]) => [b, a]), { pane: "trails", color: colour, weight: 2, opacity: 0.55, interactive: false, className: "bw-trail" })]);
      }
      const sel = isSel("track", id);
      const style = { radius: sel ? 8 : 6, color: sel ? "#fff" : "#0b0f14", fillColor: colour };
      let dot = old;
      if (dot) { dot.setLatLng([lat, lon]); dot.setRadius(style.radius); dot.setStyle(style); }
      else {
        dot = L.circleMarker([lat, lon], { pane: "live", weight: 2, fillOpacity: 1, className: "bw-track", ...style });
        dot.on("click", () => M.onSelect && M.onSelect("track", id));
      }
      parts.push([L_.tracks, dot], [L_.tracks, labelMarker([lat, lon], `${word("kind", p.kind)} ×${headCount(p)}`, 5)]);
      if (p.heading_deg != null && p.speed_ms > 0.2) {  // a heading tick ~ 1 minute ahead, 60–600 m
        const h = p.heading_deg * Math.PI / 180, d = Math.min(600, Math.max(60, p.speed_ms * 60));
        const ahead = [lat + Math.cos(h) * d / 110540, lon + Math.sin(h) * d / (111320 * Math.cos(lat * Math.PI / 180))];
        parts.push([L_.tracks, L.polyline([[lat, lon], ahead], { pane: "live", color: colour, weight: 2, interactive: false })]);
      }
      return { parts, marker: dot };
    });
    sync("incidents", incidents, (id, f) => JSON.stringify([f.geometry.coordinates, f.properties.type, headCount(f.properties), isSel("incident", id), I18N.lang]), (id, f) => {
      const p = f.properties, [lon, lat] = f.geometry.coordinates;
      const cls = `bw-incident ${p.type === "crossing" ? "bad" : "warn"}${isSel("incident", id) ? " selected" : ""}`;
      const m = L.marker([lat, lon], { pane: "incidents", icon: L.divIcon({ className: cls, iconSize: [18, 18], html: `<span data-incident-marker="${escHtml(id)}"></span>` }), riseOnHover: true, keyboard: true, title: `${word("type", p.type)} ${word("dir", p.direction)}` });
      m.on("click", () => M.onSelect && M.onSelect("incident", id));
      return { marker: m, parts: [[L_.incidents, m], [L_.incidents, labelMarker([lat, lon], `${word("type", p.type).toUpperCase()} ${word("dir", p.direction)} · ${headCount(p)}`, 9)]] };
    });
    L_.responders.clearLayers();  // few, and changed by their own events: drawn afresh
    if (plan) {  // the group's predicted path, the unit's line to the proposed point
      L_.responders.addLayer(L.polyline(plan.path.map(([a, b]) => [b, a]), { pane: "units", color: "#6cb6ff", weight: 2, dashArray: "5 5", interactive: false }));
      const best = plan.proposals[0];
      if (best) {
        const x = L.marker([best.lat, best.lon], { pane: "units", icon: L.divIcon({ className: "bw-intercept", iconSize: [16, 16], html: "✕" }) });
        label(L_.responders, [best.lat, best.lon], t("map.intercept", { unit: best.callsign, min: I18N.num(Math.round(best.travel_s / 60)) }), 7);
        L_.responders.addLayer(x);
        const unit = responders.get(best.unit_id);
        if (unit) L_.responders.addLayer(L.polyline([[unit.lat, unit.lon], [best.lat, best.lon]], { pane: "units", color: "#6cb6ff", weight: 1.5, opacity: 0.8, className: "bw-intercept-line" }));
      }
    }
    for (const u of responders.values()) {
      const m = L.marker([u.lat, u.lon], { pane: "units", icon: L.divIcon({ className: `bw-unit${u.stale ? " stale" : ""}`, iconSize: [12, 12] }) });
      label(L_.responders, [u.lat, u.lon], `${u.callsign} · ${u.age_s == null ? t("unit.home") : u.age_s < 90 ? t("unit.s", { n: I18N.num(Math.round(u.age_s)) }) : t("unit.min", { n: I18N.num(Math.round(u.age_s / 60)) })}`, 6);
      L_.responders.addLayer(m);
    }
    setTimeout(zoomLabels, 0);
  };

  // Another language: the legend, the layer names, the cursor's and the countries' text
  // (the tracks and incidents redraw with the page: their signature holds the language).
  M.relabel = function () {
    if (!M.map) return;
    M.legend.innerHTML = legend();
    layerControl();
    const ll = M.map.getContainer().querySelector("#cursor-latlon");
    if (ll && !ll.textContent.includes("°")) ll.textContent = t("map.cursor");
    if (M.sides) sideNames();
  };

  M.centreOn = function (kind, id) {
    const m = (kind === "track" ? M.markers.tracks : M.markers.incidents).get(id);
    if (!M.map || !m) return;
    M.map.setView(m.getLatLng(), Math.max(M.map.getZoom(), 14), { animate: false });
  };

  window.BWMap = M;
})();
