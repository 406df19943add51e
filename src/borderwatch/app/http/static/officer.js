// The screening officer's page (/officer): the agency's cases; per person the facts
// (PUT /v1/cases/{id}/facts, each change screened at once), the engine's proposal with
// its citations and the questions still to ask, the decision (confirm, or override with
// a written reason; a revision names the record it replaces), the history, the decision
// record (HTML, PDF); the return to the US and its handoff notice. Removal deferrals are
// shown beside the outcome and never change it. Every read is logged by the API.
"use strict";
(function () {
  const F = window.BWForms, I = window.BWI18n, T = I.t, esc = F.esc;
  const $ = (id) => document.getElementById(id);
  const OUTCOMES = ["ineligible", "exception", "eligible_either_way", "not_applicable", "needs_information", "no_claim"];
  // A removal note's three states (screening/removal.py): on a list, not on one, or
  // partly on one (deferred: null), which holds for some regions only, so never "no deferral".
  const deferralText = (n) => {
    const p = window.BWServerText.programme(n.programme);
    if (n.deferred === true) return T("off.deferred", { c: n.country, p });
    if (n.deferred === null) return T("off.partly_deferred", { c: n.country, p });
    return T("off.not_deferred", { c: n.country });
  };
  const RELATIONS = ["mother", "father", "legal_guardian", "child", "spouse", "common_law_partner", "sister", "brother",
                     "aunt", "uncle", "niece", "nephew", "grandmother", "grandfather", "grandchild"];
  const DOCUMENTS = ["passport", "permanent_resident_visa", "temporary_resident_visa", "temporary_resident_permit",
                     "travel_document_31_3", "refugee_travel_papers", "temporary_travel_document", "work_permit",
                     "study_permit", "eta", "other"];
  const FAMILY_STATUS = ["citizen", "permanent_resident", "protected_person", "refugee_claim_referred", "work_permit",
                         "study_permit", "visitor", "none"];
  const YESNO = ["has_spouse_or_partner", "parent_or_guardian_in_canada_or_us", "visa_required_canada", "visa_required_us",
                 "refused_entry_us_without_claim_adjudicated", "canadian_pr_removed_from_us", "stateless"];
  const ASSUMED = "assumed by the officer, not yet established";
  const state = { who: null, caseId: null, facts: null, proposal: null, decisions: null, returns: [], seq: 0, timer: null, notice: null };

  const officer = () => $("officer-name")?.value.trim() || null;
  const personOf = (pid) => state.facts.people.find((p) => p.id === pid);
  const outcome = (o) => `<span class="outcome ${esc(o)}" data-outcome="${esc(o)}">${esc(T("outcome." + o))}</span>`;
  const opts = (values, chosen, label) => values.map((v) => `<option value="${esc(v)}"${v === chosen ? " selected" : ""}>${esc(label(v))}</option>`).join("");
  const caseUrl = (tail) => `/v1/cases/${encodeURIComponent(state.caseId)}${tail}`;

  // --- the facts: one control per fact, the same for the form and the questions ---------
  function triState(v) { return v === true ? "yes" : v === false ? "no" : ""; }
  function control(pid, fact, value) {
    const at = `data-person="${esc(pid)}" data-fact="${esc(fact)}" data-field="people[${esc(pid)}].${esc(fact)}"`;
    if (YESNO.includes(fact)) {
      return `<select ${at}>${opts(["", "yes", "no"], triState(value), (v) => T(v ? "a." + v : "a.unknown"))}</select>`;
    }
    if (fact === "death_penalty_charge") return `<select ${at}>${opts(["", "none", "us", "other_country"], value ?? "", (v) => T("dp." + (v || "unknown")))}</select>`;
    if (fact === "documents") {
      const v = value == null ? "" : value.length ? value[0].type : "none";
      return `<select ${at}>${opts(["", "none", ...DOCUMENTS], v, (x) => T("doc." + (x || "unknown")))}</select>`;
    }
    if (fact === "family_in_canada") {
      const v = value == null ? "" : value.length ? "listed" : "none";
      const first = (value && value[0]) || {};
      return `<select ${at}>${opts(["", "none", "listed"], v, (x) => T("fam." + (x || "unknown")))}</select>` +
        (v === "listed" ? ` <select data-person="${esc(pid)}" data-fact="family_relation">${opts(RELATIONS, first.relation, (r) => T("rel." + r))}</select>` +
          ` <select data-person="${esc(pid)}" data-fact="family_status">${opts(FAMILY_STATUS, first.status, (s) => T("fs." + s))}</select>` : "");
    }
    if (fact === "claim_date") return `<input type="date" ${at} value="${esc(value ?? "")}">`;
    if (fact === "age") return `<input type="number" min="0" max="120" ${at} value="${esc(value ?? "")}">`;
    if (fact === "nationalities") return `<input ${at} placeholder="VE, CO" value="${esc((value || []).join(", "))}">`;
    return `<input ${at} value="${esc(value ?? "")}">`;
  }
  function read(input) {
    const p = personOf(input.dataset.person), fact = input.dataset.fact, v = input.value;
    if (YESNO.includes(fact)) p[fact] = v === "yes" ? true : v === "no" ? false : null;
    else if (fact === "documents") p.documents = v === "" ? null : v === "none" ? [] : [{ type: v, transit_only: false }];
    else if (fact === "family_in_canada") p.family_in_canada = v === "" ? null : v === "none" ? [] : [{ relation: "brother", age: null, status: "citizen" }];
    else if (fact === "family_relation" || fact === "family_status") p.family_in_canada[0][fact.slice(7)] = v;
    else if (fact === "nationalities") p.nationalities = v.split(/[\s,;]+/).filter(Boolean).map((c) => c.toUpperCase());
    else if (fact === "age") p.age = v === "" ? null : Number(v);
    else if (fact === "death_penalty_charge" || fact === "claim_date" || fact === "sex") p[fact] = v || null;
    else p[fact] = v.trim() || null;
  }
  // An assumed fact is written to `assumptions` with its value (the API records it).
  function markAssumed(field, on) {
    const list = (state.facts.assumptions || []).filter((a) => a.field !== field);
    if (on) {
      const m = field.match(/^people\[(\w+)\]\.(\w+)$/);
      const value = m ? personOf(m[1])?.[m[2]] : state.facts.relations[Number(field.match(/\d+/))];
      list.push({ field, value: typeof value === "string" ? value : JSON.stringify(value ?? null), reason: ASSUMED });
    }
    state.facts.assumptions = list;
  }
  const assumed = (field) => (state.facts.assumptions || []).some((a) => a.field === field);
  const assumeBox = (field) => `<label class="inline small"><input type="checkbox" data-assume="${esc(field)}"${assumed(field) ? " checked" : ""}>${esc(T("off.assumed"))}</label>`;

  // --- saving: each change is entered and screened; a later answer wins --------------
  function schedule() { clearTimeout(state.timer); state.timer = setTimeout(save, 300); }
  async function save() {
    const mine = ++state.seq, box = $("facts-root");
    $("save-state").textContent = T("off.saving");
    try {
      const r = await F.call(caseUrl(`/facts?lang=${I.lang}`), { method: "PUT", json: { facts: state.facts, officer: officer() } });
      if (mine !== state.seq) return;
      F.clear(box);
      state.proposal = r;
      $("save-state").textContent = T("off.saved");
      renderProposals();
    } catch (err) {
      if (mine !== state.seq) return;
      $("save-state").textContent = T("off.not_saved");
      F.show(box, byId(err));
    }
  }
  // The API names a person by position (facts.people[3].x); the page by id (people[p4].x).
  function byId(err) {
    const fields = {};
    for (const [k, msg] of Object.entries(err.fields || {})) {
      const n = k.replace(/^facts\.?/, "").replace(/^people\[(\d+)\]/, (m, i) => `people[${state.facts.people[Number(i)]?.id ?? i}]`);
      fields[n || "facts"] = msg;
    }
    return Object.assign(Object.create(Object.getPrototypeOf(err)), err, { fields });
  }

  // --- rendering ---------------------------------------------------------------------
  function renderCases(ids) {
    $("cases").innerHTML = ids.length ? ids.map((id) => `<li><button type="button" data-open="${esc(id)}"${id === state.caseId ? ' aria-current="true"' : ""}>${esc(id)}</button></li>`).join("")
      : `<li class="small">${esc(T("off.no_cases"))}</li>`;
  }

  function renderCase() {
    const f = state.facts, icp = f.interception || {};
    $("case").innerHTML = `<section data-case="${esc(state.caseId)}"><h2>${esc(T("off.case"))} ${esc(state.caseId)}</h2>
      <p>${esc(T("off.interception", { time: icp.time ? I.date(icp.time) : "—", unit: icp.unit_id || "—", n: I.num(f.people.length) }))}
        · ${esc(T("off.entry", { kind: T("entry." + (f.entry?.kind || "unknown")), date: f.entry?.date || "—" }))}</p>
      <label><span class="lbl">${esc(T("off.officer"))}</span><input id="officer-name" autocomplete="name" data-field="officer"></label>
      <span class="small" id="save-state"></span></section>
      <div id="facts-root">
      <section><h2>${esc(T("off.relations"))}</h2><div id="relations" data-field="relations"></div>
        <button type="button" id="add-relation">${esc(T("off.add_relation"))}</button></section>
      <div id="people">${f.people.map(personCard).join("")}</div>
      <span class="err" data-form-error role="alert"></span></div>
      <section id="returns-section"></section>`;
    renderRelations(); renderProposals(); renderReturns();
  }

  function renderRelations() {
    const ids = state.facts.people.map((p) => p.id);
    $("relations").innerHTML = (state.facts.relations || []).map((r, i) => `<div class="fld" data-relation="${i}" data-field="relations[${i}]">
      <select data-rel="person">${opts(ids, r.person, (x) => x)}</select> ${esc(T("off.is"))}
      <select data-rel="is">${opts(RELATIONS, r.is, (x) => T("rel." + x))}</select> ${esc(T("off.of"))}
      <select data-rel="of">${opts(ids, r.of, (x) => x)}</select>
      ${assumeBox(`relations[${i}]`)} <button type="button" data-remove-relation="${i}">${esc(T("off.remove"))}</button></div>`).join("") ||
      `<p class="small">${esc(T("off.no_relations"))}</p>`;
  }

  function personCard(p) {
    const pid = p.id, field = (x) => `people[${pid}].${x}`;
    return `<section class="person" data-person-card="${esc(pid)}"><h3>${esc(pid)}</h3>
      <div class="grid">
        <label><span class="lbl">${esc(T("fact.name"))}</span>${control(pid, "name", p.name)}</label>
        <label><span class="lbl">${esc(T("fact.age"))}</span>${control(pid, "age", p.age)}${assumeBox(field("age"))}</label>
        <label><span class="lbl">${esc(T("fact.nationalities"))}</span>${control(pid, "nationalities", p.nationalities)}${assumeBox(field("nationalities"))}</label>
        <label><span class="lbl">${esc(T("fact.claim_date"))}</span>${control(pid, "claim_date", p.claim_date)}</label>
        <label><span class="lbl">${esc(T("fact.documents"))}</span>${control(pid, "documents", p.documents)}${assumeBox(field("documents"))}</label>
        <div class="fld"><span class="lbl">${esc(T("fact.family_in_canada"))}</span>${control(pid, "family_in_canada", p.family_in_canada)}${assumeBox(field("family_in_canada"))}</div>
      </div>
      <div data-proposal="${esc(pid)}"></div><div data-decision="${esc(pid)}"></div></section>`;
  }

  function renderProposals() {
    const people = state.proposal?.people || [];
    for (const r of people) {
      const box = document.querySelector(`[data-proposal="${CSS.escape(r.id)}"]`);
      if (!box) continue;
      const qs = r.questions || [];
      box.innerHTML = `<div><span class="small">${esc(T("off.proposal"))}</span> ${outcome(r.outcome)}
          ${r.rule ? `<span class="small">· ${esc(T("off.rule"))} ${esc(r.rule)}</span>` : ""}
          ${r.exception ? `<span class="small">· ${esc(r.exception)}</span>` : ""}</div>
        <div class="small" data-citations>${esc(T("off.citations"))}: ${r.citations.map(esc).join(" · ") || "—"}</div>
        ${r.summary ? `<div class="small" data-summary="${esc(r.summary.code)}">${esc(r.summary.text)}</div>` : r.explanation?.length ? `<div class="small">${esc(r.explanation[0])}</div>` : ""}
        ${(r.removal || []).map((n) => `<div class="deferral small" data-deferral="${esc(n.country)}"><b>${esc(deferralText(n))}</b> — ${esc(T("off.deferral_note"))}</div>`).join("")}
        <div data-questions="${esc(r.id)}">${qs.length ? `<div class="small">${esc(T("off.questions", { n: I.num(qs.length) }))}</div><ol class="questions">${qs.map((q) => question(r.id, q)).join("")}</ol>`
          : `<div class="small ok">${esc(T("off.no_questions"))}</div>`}</div>`;
    }
    renderDecisions();
  }

  function question(pid, q) {
    const fact = q.fact.replace(/^people\[\w+\]\./, "");
    const p = personOf(pid);
    const answer = q.fact.startsWith("people[") && /^\w+$/.test(fact) ? control(pid, fact, p?.[fact]) : "";
    return `<li data-question="${esc(q.fact)}"><span class="fld">${esc(q.question)} ${answer}
      ${answer ? `<button type="button" data-all="${esc(fact)}" data-from="${esc(pid)}">${esc(T("off.same_for_all"))}</button>` : ""}</span>
      <span class="small">${q.citations.map(esc).join(" · ")}</span></li>`;
  }

  function renderDecisions() {
    const d = state.decisions;
    if (!d) return;
    const proposals = new Map((state.proposal?.people || []).map((r) => [r.id, r]));
    for (const p of state.facts.people) {
      const box = document.querySelector(`[data-decision="${CSS.escape(p.id)}"]`);
      if (!box) continue;
      const now = d.in_force[p.id], prop = proposals.get(p.id);
      const history = d.history.filter((h) => h.person_id === p.id).reverse();
      box.innerHTML = `<div class="fld">${now ? `<div data-in-force="${esc(now.outcome)}">${esc(T("off.decided"))}: ${outcome(now.outcome)}
          <span class="small">(${esc(T("act." + now.action))}, ${esc(now.officer_id)}, ${esc(I.date(now.decided_at))})</span></div>` : `<div class="small" data-in-force="">${esc(T("off.undecided"))}</div>`}
        ${prop && !(now && now.action === "confirm" && now.outcome === prop.outcome) ? `<button type="button" data-confirm="${esc(p.id)}">${esc(T("off.confirm", { o: T("outcome." + prop.outcome) }))}</button>` : ""}
        <button type="button" data-override-open="${esc(p.id)}">${esc(T("off.override"))}</button>
        ${now ? `<button type="button" data-record="${esc(p.id)}" data-format="html">${esc(T("off.record_html"))}</button>
          <button type="button" data-record="${esc(p.id)}" data-format="pdf">${esc(T("off.record_pdf"))}</button>` : ""}
        <span class="err" data-form-error role="alert"></span>
        <div data-override="${esc(p.id)}" hidden>
          <label><span class="lbl">${esc(T("off.outcome"))}</span><select data-field="outcome">${opts(OUTCOMES.filter((o) => o !== prop?.outcome), "", (o) => T("outcome." + o))}</select></label>
          <label><span class="lbl">${esc(T("off.reason"))}</span><textarea data-field="reason" maxlength="4000"></textarea></label>
          <button type="button" class="primary" data-override="${esc(p.id)}">${esc(T("off.override_save"))}</button></div>
        ${history.length ? `<details${history.length > 1 ? " open" : ""}><summary class="small">${esc(T("off.history", { n: I.num(history.length) }))}</summary><ol class="small" data-history="${esc(p.id)}">${history.map((h) =>
          `<li data-decision-id="${esc(h.decision_id)}">${esc(I.date(h.decided_at))} · ${esc(h.officer_id)} · ${esc(T("act." + h.action))} ${esc(T("outcome." + h.outcome))}${h.reason ? ` · “${esc(h.reason)}”` : ""}${h.replaces ? ` · ${esc(T("off.replaces", { id: h.replaces.slice(0, 8) }))}` : ""}</li>`).join("")}</ol></details>` : ""}</div>`;
    }
  }

  function renderReturns() {
    const box = $("returns-section");
    if (!box || !state.decisions) return;
    const returned = new Set(state.returns.flatMap((r) => r.people));
    const ready = state.facts.people.filter((p) => state.decisions.in_force[p.id]?.outcome === "ineligible" && !returned.has(p.id));
    const keep = (id, v) => $(id)?.value ?? v;
    box.innerHTML = `<h2>${esc(T("off.returns"))}</h2>
      ${state.returns.map((r) => `<div class="card" data-return="${esc(r.return_id)}">${esc(T("off.returned", { n: I.num(r.people.length), port: r.port_of_entry, agency: r.receiving_agency, time: I.date(r.time) }))}
        <div class="small">${esc(r.officer_id)} · ${r.people.map(esc).join(", ")}</div></div>`).join("")}
      ${state.notice ? `<div class="card small" data-notice-released>${esc(T("off.notice"))}: ${Object.entries(state.notice).map(([k, v]) => `${esc(k)}=${esc(JSON.stringify(v))}`).join(" · ")}</div>` : ""}
      <div id="return-form"><div class="grid">
        <label><span class="lbl">${esc(T("off.port"))}</span><input id="ret-port" data-field="port_of_entry" value="${esc(keep("ret-port", "Coutts-Sweetgrass"))}"></label>
        <label><span class="lbl">${esc(T("off.agency"))}</span><input id="ret-agency" data-field="receiving_agency" value="${esc(keep("ret-agency", "USBP"))}"></label>
        <label><span class="lbl">${esc(T("off.time"))}</span><input id="ret-time" type="datetime-local" step="60" data-field="time" value="${esc(keep("ret-time", ""))}"></label></div>
        <div class="fld" data-field="people"><span class="lbl">${esc(T("off.people_returned"))}</span>${ready.map((p) => `<label class="inline"><input type="checkbox" data-return-person value="${esc(p.id)}" checked>${esc(p.id)}</label>`).join("") || `<span class="small">${esc(T("off.none_ready"))}</span>`}</div>
        <span class="err" data-form-error role="alert"></span>
        <button type="button" class="primary" id="record-return"${ready.length ? "" : " disabled"}>${esc(T("off.record_return"))}</button></div>`;
  }

  // --- actions -------------------------------------------------------------------------
  async function decide(pid, body, box) {
    F.clear(box);
    const now = state.decisions.in_force[pid];
    try {
      await F.call(caseUrl(`/people/${encodeURIComponent(pid)}/decision`), { method: "POST", json: { ...body, officer: officer(), replaces: now ? now.decision_id : null } });
      state.decisions = await F.call(caseUrl("/decisions"));
      renderDecisions(); renderReturns();
    } catch (err) {
      if (err.status === 409) {  // decided meanwhile: show the record in force, keep the reason typed
        const typed = box.querySelector("[data-field=reason]")?.value || "";
        state.decisions = await F.call(caseUrl("/decisions"));
        renderDecisions();
        box = document.querySelector(`[data-decision="${CSS.escape(pid)}"]`);
        if (typed) { box.querySelector("div[data-override]").hidden = false; box.querySelector("[data-field=reason]").value = typed; }
      }
      F.show(box, err);
    }
  }

  async function recordReturn() {
    const box = $("return-form");
    F.clear(box);
    const people = [...box.querySelectorAll("[data-return-person]:checked")].map((c) => c.value);
    const port = $("ret-port").value.trim(), agency = $("ret-agency").value.trim(), time = $("ret-time").value;
    let ok = true;
    if (!port) { F.fail(box, "port_of_entry", T("f.required")); ok = false; }
    if (!agency) { F.fail(box, "receiving_agency", T("f.required")); ok = false; }
    if (!people.length) { F.fail(box, "people", T("off.pick_people")); ok = false; }
    if (!ok) return;
    try {
      const r = await F.call(caseUrl("/returns"), { method: "POST", json: { port_of_entry: port, receiving_agency: agency, people, officer: officer(), time: time ? `${time.length === 16 ? time + ":00" : time}Z` : null } });
      state.notice = r.notice;
      state.returns = (await F.call(caseUrl("/returns"))).returns;
      renderReturns();
    } catch (err) { F.show(box, err); }
  }

  async function openCase(id) {
    state.caseId = id; state.notice = null;
    const [facts, proposal, decisions, returns] = await Promise.all([
      F.call(caseUrl("/facts")), F.call(caseUrl(`/proposal?lang=${I.lang}`)), F.call(caseUrl("/decisions")), F.call(caseUrl("/returns"))]);
    Object.assign(state, { facts, proposal, decisions, returns: returns.returns });
    if (facts.simulated) $("sim").hidden = false;
    history.replaceState(null, "", `/officer?case=${encodeURIComponent(id)}${location.search.includes("lang=") ? `&lang=${I.lang}` : ""}`);
    renderCases([...document.querySelectorAll("[data-open]")].map((b) => b.dataset.open));
    renderCase();
  }

  document.addEventListener("change", (ev) => {
    const t = ev.target;
    if (t.dataset.fact && t.dataset.person) {
      read(t);
      if (assumed(`people[${t.dataset.person}].${t.dataset.fact}`)) markAssumed(`people[${t.dataset.person}].${t.dataset.fact}`, true);
      if (t.dataset.fact === "family_in_canada") renderPersonFacts(t.dataset.person);
      schedule();
    } else if (t.dataset.assume) { markAssumed(t.dataset.assume, t.checked); schedule(); }
    else if (t.dataset.rel) {
      const i = Number(t.closest("[data-relation]").dataset.relation);
      state.facts.relations[i][t.dataset.rel] = t.value;
      if (assumed(`relations[${i}]`)) markAssumed(`relations[${i}]`, true);
      schedule();
    }
  });
  function renderPersonFacts(pid) {
    const card = document.querySelector(`[data-person-card="${CSS.escape(pid)}"]`);
    const fresh = document.createElement("div"); fresh.innerHTML = personCard(personOf(pid));
    card.querySelector(".grid").replaceWith(fresh.querySelector(".grid"));
  }
  document.addEventListener("click", async (ev) => {
    const b = ev.target.closest("button");
    if (!b) return;
    if (b.dataset.open) { await openCase(b.dataset.open); return; }
    if (b.id === "add-relation") {
      const ids = state.facts.people.map((p) => p.id);
      state.facts.relations = [...(state.facts.relations || []), { person: ids[0], is: "mother", of: ids[1] || ids[0] }];
      renderRelations(); schedule(); return;
    }
    if (b.dataset.removeRelation) {
      const i = Number(b.dataset.removeRelation);
      state.facts.relations.splice(i, 1);
      state.facts.assumptions = (state.facts.assumptions || []).filter((a) => !a.field.startsWith("relations["));
      renderRelations(); schedule(); return;
    }
    if (b.dataset.all) {  // this answer for everyone still asked the same question
      const fact = b.dataset.all, value = b.closest("li").querySelector("[data-fact]").value;
      for (const r of state.proposal.people) {
        if (r.id === b.dataset.from || (r.questions || []).some((q) => q.fact === `people[${r.id}].${fact}`)) {
          read({ dataset: { person: r.id, fact }, value });
        }
      }
      state.facts.people.forEach((p) => renderPersonFacts(p.id));
      schedule(); return;
    }
    if (b.dataset.confirm) { await decide(b.dataset.confirm, { action: "confirm" }, b.closest("[data-decision]")); return; }
    if (b.dataset.overrideOpen) { const d = document.querySelector(`div[data-override="${CSS.escape(b.dataset.overrideOpen)}"]`); d.hidden = !d.hidden; return; }
    if (b.dataset.override) {
      const box = b.closest("[data-decision]"), reason = box.querySelector("[data-field=reason]").value.trim();
      if (!reason) { F.clear(box); F.fail(box, "reason", T("off.reason_required")); return; }
      await decide(b.dataset.override, { action: "override", outcome: box.querySelector("[data-field=outcome]").value, reason }, box);
      return;
    }
    if (b.dataset.record) {
      const pid = b.dataset.record, fmt = b.dataset.format;
      try {
        const path = caseUrl(`/people/${encodeURIComponent(pid)}/record?lang=${I.lang}&format=${fmt}`);
        const blob = await F.download(path, `${state.caseId}-${pid}-${I.lang}.${fmt}`);
        b.dataset.fetched = String(blob.size);
        b.dataset.lang = I.lang;
        if (fmt === "html") b.dataset.title = (await blob.text()).match(/<title>([^<]*)/)?.[1] || "";
      } catch (err) { F.show(b.closest("[data-decision]"), err); }
      return;
    }
    if (b.id === "record-return") await recordReturn();
  });

  async function start() {
    if (!F.key()) { F.login($("login"), start); return; }
    try { state.who = await F.call("/v1/whoami"); } catch (e) { sessionStorage.removeItem("bw-key"); F.login($("login"), start); return; }
    $("who").textContent = `${state.who.agency} · ${state.who.role}`;
    if (state.who.simulated) $("sim").hidden = false;
    $("app").hidden = false;
    let ids = [];
    try { ids = (await F.call("/v1/cases")).cases; } catch (err) {
      $("case").innerHTML = `<p class="bad" data-denied>${esc(T("off.denied", { status: err.status }))}</p>`; return;
    }
    renderCases(ids);
    const asked = new URLSearchParams(location.search).get("case");
    if (asked && ids.includes(asked)) await openCase(asked);
  }

  F.langSwitch($("langs"));
  I.apply();
  window.addEventListener("bw-lang", async () => {
    if (!state.caseId) return;
    const name = officer();
    state.proposal = await F.call(caseUrl(`/proposal?lang=${I.lang}`));
    renderCase();
    if (name) $("officer-name").value = name;
  });
  window.BWOfficer = { state, openCase, save };
  start();
})();
