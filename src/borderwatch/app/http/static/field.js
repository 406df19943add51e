// The field team's page (/field): record the interception of an incident's group — time,
// place, the people found (adult or child, apparent age, condition) and belongings —
// with POST /v1/incidents/{id}/interception. No identifier is asked; the API refuses one,
// naming the field, and the message shows beside it. Works on a phone.
"use strict";
(function () {
  const F = window.BWForms, I = window.BWI18n, T = I.t, esc = F.esc;
  const $ = (id) => document.getElementById(id);
  const CONDITIONS = ["hypothermia", "frostbite", "injury", "unconscious", "medical_transport"];
  const state = { who: null, incidents: [], alerts: [], done: null };

  // Open: an alert of the incident to this agency not yet resolved (another agency's
  // alert is its own to close, as the API says).
  function ownsUnit(unit) {
    const agency = state.who.agency, id = unit?.unit_id || "";
    return id === agency || unit?.agency === agency || id.startsWith(agency + "-");
  }
  function isOpen(inc) {
    const mine = state.alerts.filter((a) => a.incident_id === inc.incident_id && ownsUnit(a.unit));
    return mine.some((a) => !["resolved", "expired"].includes(a.status));
  }

  function incidentLabel(inc) {
    const open = isOpen(inc);
    return `${inc.incident_id} · ${T("type." + inc.type)} · ${T("field.group", { n: I.num(inc.group_size ?? 0) })} · ${I.date(inc.time)}${open ? "" : " · " + T("field.closed")}`;
  }

  function renderIncidents(keep) {
    const sel = $("incident");
    const list = state.incidents;
    sel.innerHTML = list.length ? list.map((inc) =>
      `<option value="${esc(inc.incident_id)}" data-open="${isOpen(inc)}">${esc(incidentLabel(inc))}</option>`).join("")
      : `<option value="">${esc(T("field.none"))}</option>`;
    const openCrossing = list.find((i) => isOpen(i) && i.type === "crossing") || list.find(isOpen);
    const chosen = keep && list.some((i) => i.incident_id === keep) ? keep : openCrossing?.incident_id;
    if (chosen) sel.value = chosen;
  }

  function selected() { return state.incidents.find((i) => i.incident_id === $("incident").value); }

  // The place defaults to the incident's (the team may correct it).
  function fillPlace(force) {
    const inc = selected();
    $("incident-info").textContent = inc ? T("field.incident_info", { lat: I.num(inc.lat, { maximumFractionDigits: 5 }), lon: I.num(inc.lon, { maximumFractionDigits: 5 }), seg: inc.segment || "" }) : "";
    if (!inc) return;
    if (force || !$("lat").value) $("lat").value = inc.lat.toFixed(6);
    if (force || !$("lon").value) $("lon").value = inc.lon.toFixed(6);
  }

  async function loadIncidents() {
    const keep = $("incident").value;
    const [inc, al] = await Promise.all([F.call("/v1/incidents"), F.call("/v1/alerts")]);
    state.incidents = inc.features.map((f) => f.properties).filter((p) => p.incident_id)
      .sort((a, b) => String(b.time).localeCompare(String(a.time)));
    state.alerts = al.alerts || [];
    if (inc.features.some((f) => f.properties.simulated)) $("sim").hidden = false;
    renderIncidents(keep);
    fillPlace(keep !== $("incident").value);
  }

  async function loadUnits() {
    let units = [];
    try { units = (await F.call("/v1/responders")).responders || []; } catch (e) { units = []; }
    // The key's own unit, else the first unit of its agency (an RCMP-K key reports for
    // RCMP-K-IBET), else the key's agency as written.
    const ids = units.map((u) => u.unit_id);
    const agency = state.who.agency;
    const own = ids.find((id) => id === agency) || ids.find((id) => id.startsWith(agency + "-")) || agency;
    if (!ids.includes(own)) ids.unshift(own);
    $("unit").innerHTML = ids.map((id) => `<option>${esc(id)}</option>`).join("");
    $("unit").value = own;
  }

  // One row per person: adults first, then children (the order numbers them p1, p2...).
  // Rows already typed keep their values when the counts change.
  function renderPeople() {
    const adults = Math.max(0, Math.min(200, parseInt($("adults").value || "0", 10) || 0));
    const children = Math.max(0, Math.min(200, parseInt($("children").value || "0", 10) || 0));
    const box = $("people");
    const old = [...box.querySelectorAll("[data-person]")].map((row) => ({
      age: row.querySelector("[data-age]").value,
      conditions: [...row.querySelectorAll("[data-condition]:checked")].map((c) => c.value),
      child: row.dataset.child === "true",
    }));
    const rows = [];
    for (let n = 0; n < adults + children; n++) {
      const child = n >= adults;
      const prev = old.find((o, i) => i === n && o.child === child) || { age: "", conditions: [] };
      rows.push(`<div class="card" data-person="${n}" data-child="${child}">
        <h3>${esc(T("field.person", { n: n + 1 }))} · ${esc(T(child ? "field.child" : "field.adult"))}</h3>
        <label><span class="lbl">${esc(T("field.age"))}</span>
          <input data-age type="number" min="0" max="120" inputmode="numeric" data-field="people[${n}].apparent_age" value="${esc(prev.age)}"></label>
        <input type="hidden" data-field="people[${n}].child">
        <div class="fld" data-field="people[${n}].conditions"><span class="lbl">${esc(T("field.condition"))}</span>
          ${CONDITIONS.map((c) => `<label class="inline"><input type="checkbox" data-condition value="${c}"${prev.conditions.includes(c) ? " checked" : ""}>${esc(T("cond." + c))}</label>`).join("")}
        </div></div>`);
    }
    box.innerHTML = rows.join("");
  }

  function body(form) {
    const people = [...$("people").querySelectorAll("[data-person]")].map((row) => {
      const age = row.querySelector("[data-age]").value.trim();
      return { apparent_age: age === "" ? null : Number(age), child: row.dataset.child === "true",
               conditions: [...row.querySelectorAll("[data-condition]:checked")].map((c) => c.value) };
    });
    const time = $("time").value;
    return {
      time: time ? `${time.length === 16 ? time + ":00" : time}Z` : null,
      lat: Number($("lat").value), lon: Number($("lon").value), unit_id: $("unit").value,
      people, belongings: $("belongings").value,
    };
  }

  // What the page can say before asking: the rest is the API's to refuse (422, by field).
  function check(form, b) {
    let ok = true;
    if (!$("incident").value) { F.fail(form, "incident", T("field.need_incident")); ok = false; }
    if (!b.time) { F.fail(form, "time", T("f.required")); ok = false; }
    for (const k of ["lat", "lon"]) {
      if ($(k).value.trim() === "" || !Number.isFinite(b[k])) { F.fail(form, k, T("f.number")); ok = false; }
    }
    if (!b.people.length) { F.fail(form, "adults", T("field.need_people")); ok = false; }
    return ok;
  }

  async function submit(ev) {
    ev.preventDefault();
    const form = $("report");
    F.clear(form);
    const b = body(form);
    if (!check(form, b)) return;
    const id = $("incident").value;
    $("send").disabled = true;
    try {
      const r = await F.call(`/v1/incidents/${encodeURIComponent(id)}/interception`, { method: "POST", json: b });
      state.done = { ...r, incident_id: id };
      renderDone();
      await loadIncidents();
    } catch (err) {
      F.show(form, err);
    } finally {
      $("send").disabled = false;
    }
  }

  function renderDone() {
    const r = state.done;
    if (!r) return;
    const rep = r.report;
    $("done").hidden = false;
    $("done").dataset.case = r.case_id;
    $("done").innerHTML = `<h2>${esc(T("field.recorded"))}</h2>
      <p class="ok" data-case-opened="${esc(r.case_id)}">${esc(T("field.case_opened", { case: r.case_id }))}</p>
      <p>${esc(T("field.summary", { n: I.num(rep.people_count), c: I.num(rep.children), time: I.date(rep.time) }))}</p>
      <p data-alerts-closed="${r.alerts_resolved.length}">${esc(T("field.alerts_closed", { n: I.num(r.alerts_resolved.length), inc: r.incident_id }))}</p>
      ${r.note ? `<p class="warn">${esc(r.note)}</p>` : ""}`;
  }

  async function start() {
    if (!F.key()) { F.login($("login"), start); return; }
    try { state.who = await F.call("/v1/whoami"); } catch (e) {
      sessionStorage.removeItem("bw-key"); F.login($("login"), start); return;
    }
    $("who").textContent = `${state.who.agency} · ${state.who.role}`;
    if (state.who.simulated || state.who.replay) $("sim").hidden = false;
    $("app").hidden = false;
    await Promise.all([loadIncidents(), loadUnits()]);
    renderPeople();
    // New incidents and closed ones show without a reload (the selection stays).
    setInterval(() => loadIncidents().catch(() => {}), 5000);
  }

  F.langSwitch($("langs"));
  I.apply();
  $("incident").addEventListener("change", () => fillPlace(true));
  $("adults").addEventListener("input", renderPeople);
  $("children").addEventListener("input", renderPeople);
  $("report").addEventListener("submit", submit);
  window.addEventListener("bw-lang", () => { renderIncidents($("incident").value); renderPeople(); renderDone(); });
  window.BWField = { state, reload: loadIncidents };
  start();
})();
