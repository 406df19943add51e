// The dashboard's timeline: a slider over the span the service keeps (from the first
// track state, rebuilt from the stored detections, to now). Moved back, the map and the
// incidents show the picture as it was then (GET /v1/picture?at=); "Live" returns to
// the live picture, which the feed kept up to date meanwhile. During a scenario replay,
// its controls: pause, resume, speed (POST /v1/replay/...). A replay is not rewound (what
// it fed is stored): "Start" takes the timeline back to its first moment instead.
// Exposed as window.BWTimeline; dashboard.js (window.BWDash) starts it after login.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const I18N = window.BWI18n, t = (k, v) => I18N.t(k, v);
  const SPEEDS = [1, 20, 150];
  const T = { span: null, replay: null, asked: 0, timer: null };

  function dash() { return window.BWDash; }
  const iso = (epoch) => new Date(epoch * 1000).toISOString();

  function showTime() {
    const past = dash().state.past;
    $("tl-time").textContent = past ? t("tl.past", { time: I18N.date(past.at) }) : t("tl.live");
    $("tl-live").setAttribute("aria-pressed", String(!past));
    document.body.classList.toggle("past", !!past);
  }

  async function refreshSpan() {
    let r;
    try { r = await dash().api("/v1/picture/span"); } catch (e) { return; }
    if (!r.span) return;
    const slider = $("tl-slider"), past = dash().state.past;
    T.span = [Date.parse(r.span.start) / 1000, Date.parse(r.span.end) / 1000];
    slider.min = String(Math.floor(T.span[0])); slider.max = String(Math.ceil(T.span[1]));
    slider.disabled = false;
    if (!past) slider.value = slider.max;  // live: the slider's end follows now
    $("tl-start").textContent = I18N.date(T.span[0]);
  }

  // The picture at a moment; answers that come back out of order are dropped.
  async function show(epoch) {
    const asked = ++T.asked, r = await dash().api(`/v1/picture?at=${encodeURIComponent(iso(epoch))}`);
    if (asked !== T.asked) return;
    const byId = (fc, key) => new Map(fc.features.filter((f) => f.geometry || key === "incident")
      .map((f) => [key === "incident" ? f.properties.incident_id || f.id : f.id || `${f.geometry.coordinates}`, f]));
    dash().setPast({ at: r.at, tracks: byId(r.tracks, "track"), incidents: byId(r.incidents, "incident") });
    showTime();
  }
  function goLive() {
    clearTimeout(T.timer);  // a moment chosen just before is not shown after
    T.asked += 1;
    dash().setPast(null);
    if (T.span) $("tl-slider").value = $("tl-slider").max;
    showTime();
  }

  $("tl-slider").addEventListener("input", (ev) => {
    const epoch = Number(ev.target.value);
    clearTimeout(T.timer);
    if (T.span && epoch >= Math.floor(T.span[1])) { goLive(); return; }
    T.timer = setTimeout(() => show(epoch), 120);  // while dragging: one request a moment
  });
  $("tl-live").addEventListener("click", goLive);
  $("tl-first").addEventListener("click", async () => {
    await refreshSpan();
    if (!T.span) return;
    $("tl-slider").value = String(Math.floor(T.span[0]));
    await show(T.span[0]);
  });

  // ---- the replay's controls ------------------------------------------------------------
  function showReplay() {
    const r = T.replay, box = $("replay-controls");
    if (!r) { box.hidden = true; return; }
    box.hidden = false;
    const who = dash().state.who, may = !!who && ["operator", "admin"].includes(who.role);
    const playing = r.state === "playing" || r.state === "paused";
    $("rp-toggle").textContent = t(r.paused ? "rp.resume" : "rp.pause");
    $("rp-toggle").disabled = !may || !playing;
    $("rp-speed").disabled = !may || r.state === "done";
    const speeds = SPEEDS.includes(r.speed) ? SPEEDS : SPEEDS.concat([r.speed]).sort((a, b) => a - b);
    $("rp-speed").innerHTML = speeds.map((s) => `<option value="${s}"${s === r.speed ? " selected" : ""}>×${I18N.num(s)}</option>`).join("");
    $("rp-state").textContent = t(`rp.${r.state}`);
  }
  async function refreshReplay() {
    try { T.replay = await dash().api("/v1/replay"); } catch (e) { T.replay = null; }
    showReplay();
  }
  async function steer(path) {
    try { T.replay = await dash().api(path, { method: "POST" }); } catch (e) { /* the feed says */ }
    showReplay();
  }
  $("rp-toggle").addEventListener("click", () => steer(`/v1/replay/${T.replay?.paused ? "resume" : "pause"}`));
  $("rp-speed").addEventListener("change", (ev) => steer(`/v1/replay/speed?x=${encodeURIComponent(ev.target.value)}`));

  window.BWTimeline = {
    start() {
      refreshSpan(); setInterval(refreshSpan, 5000);
      if (dash().state.who?.replay) refreshReplay();
      showTime();
    },
    onReplay() { refreshReplay(); },
    redraw() { showTime(); showReplay(); if (T.span) $("tl-start").textContent = I18N.date(T.span[0]); },
    show,
    goLive,
  };
})();
