// The dashboard's timeline: a slider over the span the service keeps (from the first
// track state, rebuilt from the stored detections, to now). Moved back, the map and the
// incidents show the picture as it was then (GET /v1/picture?at=); "Live" returns to
// the live picture, which the feed kept up to date meanwhile. During a scenario replay,
// its controls: pause, resume, speed (POST /v1/replay/...).
//
// Playback (rewind): a replay cannot be fed again (what it fed is stored, and would be
// dropped as duplicates), so rewinding plays the stored picture forward instead: this
// page steps `at` from the chosen moment at the replay's speed (or the playback's own
// speed on a live service, or once the replay has finished), one picture at a time and at
// most one request every STEP_MS, until it reaches the live data time and goes live.
// Exposed as window.BWTimeline; dashboard.js (window.BWDash) starts it after login.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const I18N = window.BWI18n, t = (k, v) => I18N.t(k, v);
  const SPEEDS = [1, 20, 150];
  const STEP_MS = 500;  // a playback asks for at most two pictures a second
  const BACK_S = 300;   // "« 5 min": the playback starts this much before what is shown
  // play: the playback, null when none ({at: its data time, paused, wall: when `at` was
  // last advanced, busy: a picture asked and not yet shown}).
  const T = { span: null, replay: null, asked: 0, timer: null, play: null, ticker: null, doneSpeed: false, steps: 0 };

  function dash() { return window.BWDash; }
  const iso = (epoch) => new Date(epoch * 1000).toISOString();
  const clock = (epoch) => `${new Intl.DateTimeFormat(I18N.locale, { hour: "2-digit", minute: "2-digit",
    second: "2-digit", hourCycle: "h23", timeZone: "UTC" }).format(new Date(epoch * 1000))} UTC`;

  // The live picture's data time: the feed's latest, or the span's end (kept states).
  function liveEpoch() {
    const fed = dash().state.dataTime ? Date.parse(dash().state.dataTime) / 1000 : null;
    const kept = T.span ? T.span[1] : null;
    return fed == null ? kept : kept == null ? fed : Math.max(fed, kept);
  }
  // A replay that still plays sets the pace (one speed control for the exercise); on a
  // live service, or once the replay has finished, the playback's own speed does.
  const replayPaces = () => !!T.replay && T.replay.state !== "done";
  const playSpeed = () => (replayPaces() ? T.replay.speed : Number($("pb-speed").value) || SPEEDS[1]);

  // Written only when it changed: a playback redraws twice a second, and a button whose
  // text is replaced under the pointer need not be.
  function setText(node, text) { if (node.textContent !== text) node.textContent = text; }
  function showTime() {
    const past = dash().state.past, play = T.play, live = liveEpoch();
    let text = t("tl.live");
    if (play) {
      const at = past ? Date.parse(past.at) / 1000 : play.at;  // what the map shows
      text = t(play.paused ? "pb.paused" : "pb.playing", { time: clock(at), live: live == null ? "—" : clock(live) });
    } else if (past) text = t("tl.past", { time: I18N.date(past.at) });
    setText($("tl-time"), text);
    $("tl-time").title = text;  // in full, where the bar cuts it short
    $("tl-time").setAttribute("aria-live", play && !play.paused ? "off" : "polite");  // not twice a second
    $("tl-live").setAttribute("aria-pressed", String(!past));
    document.body.classList.toggle("past", !!past);
    document.body.classList.toggle("playback", !!play);
    setText($("tl-play"), t(play ? (play.paused ? "pb.resume" : "pb.pause") : "pb.play"));
    $("tl-play").disabled = !play && !past;
    $("tl-play").setAttribute("aria-pressed", String(!!play && !play.paused));
    $("pb-speed").hidden = replayPaces();
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
    $("tl-start").textContent = $("tl-start").title = I18N.date(T.span[0]);
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
  function stopPlay() {
    clearInterval(T.ticker);
    T.play = null;
  }
  function goLive() {
    clearTimeout(T.timer);  // a moment chosen just before is not shown after
    stopPlay();
    T.asked += 1;
    dash().setPast(null);
    if (T.span) $("tl-slider").value = $("tl-slider").max;
    showTime();
  }

  // ---- playback: the stored picture played forward from an earlier moment ------------
  // The time since the last advance at the pace then; the pace chosen now from here on.
  function advance() {
    const play = T.play, now = performance.now();
    if (!play.paused) play.at += ((now - play.wall) / 1000) * play.pace;
    play.wall = now; play.pace = playSpeed();
  }
  async function step() {
    const play = T.play;
    if (!play || play.busy) return;  // one request at a time: a slow answer is not piled on
    advance(); T.steps += 1;
    const live = liveEpoch();
    if (live != null && play.at >= live) { goLive(); return; }
    $("tl-slider").value = String(Math.floor(play.at));
    if (play.paused && play.shown === play.at) { showTime(); return; }
    play.busy = true;
    try { await show(play.at); play.shown = play.at; } catch (e) { /* the next step asks again */ }
    finally { play.busy = false; }
  }
  async function playFrom(epoch, paused = false) {
    if (!T.span) await refreshSpan();
    clearTimeout(T.timer);
    stopPlay();
    const first = T.span ? T.span[0] : epoch;
    T.play = { at: Math.max(first, epoch), paused, wall: performance.now(), pace: playSpeed(), busy: false, shown: null };
    T.ticker = setInterval(step, STEP_MS);
    showTime();
    await step();
  }
  function shownEpoch() {
    if (T.play) { advance(); return T.play.at; }
    const past = dash().state.past;
    return past ? Date.parse(past.at) / 1000 : liveEpoch();
  }

  $("tl-slider").addEventListener("input", (ev) => {
    const epoch = Number(ev.target.value);
    clearTimeout(T.timer);
    if (T.span && epoch >= Math.floor(T.span[1])) { goLive(); return; }
    if (T.play) { advance(); T.play.at = epoch; T.play.shown = null; return; }  // the playback goes on from there
    T.timer = setTimeout(() => show(epoch), 120);  // while dragging: one request a moment
  });
  $("tl-live").addEventListener("click", goLive);
  $("tl-first").addEventListener("click", async () => {
    stopPlay();
    await refreshSpan();
    if (!T.span) return;
    $("tl-slider").value = String(Math.floor(T.span[0]));
    await show(T.span[0]);
  });
  $("tl-back").addEventListener("click", () => {
    const from = shownEpoch(), held = !!T.play && T.play.paused;  // a paused playback stays paused
    if (from != null) playFrom(from - BACK_S, held);
  });
  $("tl-play").addEventListener("click", () => {
    if (T.play) { advance(); T.play.paused = !T.play.paused; showTime(); return; }
    const past = dash().state.past;
    if (past) playFrom(Date.parse(past.at) / 1000);
  });
  $("pb-speed").addEventListener("change", () => { if (T.play) advance(); });

  // ---- the replay's controls ------------------------------------------------------------
  // A finished replay cannot be paused nor sped up (409): its controls give way to the
  // state, which says so, and to the playback's own speed.
  function showReplay() {
    const r = T.replay, box = $("replay-controls");
    if (!r) { box.hidden = true; showTime(); return; }
    box.hidden = false;
    const who = dash().state.who, may = !!who && ["operator", "admin"].includes(who.role);
    const playing = r.state === "playing" || r.state === "paused", done = r.state === "done";
    $("rp-toggle").textContent = t(r.paused ? "rp.resume" : "rp.pause");
    $("rp-toggle").disabled = !may || !playing;
    $("rp-toggle").hidden = done;
    $("rp-speed").disabled = !may || done;
    $("rp-speed").hidden = done;
    const speeds = SPEEDS.includes(r.speed) ? SPEEDS : SPEEDS.concat([r.speed]).sort((a, b) => a - b);
    $("rp-speed").innerHTML = speeds.map((s) => `<option value="${s}"${s === r.speed ? " selected" : ""}>×${I18N.num(s)}</option>`).join("");
    $("rp-state").textContent = t(`rp.${r.state}`);
    $("rp-state").classList.toggle("done", done);
    $("rp-state").title = done ? t("rp.done.hint") : "";
    if (done && !T.doneSpeed) { T.doneSpeed = true; speedOptions(r.speed); }  // played back as it played
    showTime();
  }
  async function refreshReplay() {
    try { T.replay = await dash().api("/v1/replay"); } catch (e) { T.replay = null; }
    showReplay();
  }
  async function steer(path) {
    try { T.replay = await dash().api(path, { method: "POST" }); } catch (e) { /* the feed says */ }
    if (T.play) advance();  // the playback's pace changes with the replay's
    showReplay();
  }
  $("rp-toggle").addEventListener("click", () => steer(`/v1/replay/${T.replay?.paused ? "resume" : "pause"}`));
  $("rp-speed").addEventListener("change", (ev) => steer(`/v1/replay/speed?x=${encodeURIComponent(ev.target.value)}`));

  function speedOptions(chosen) {
    const speeds = SPEEDS.includes(chosen) ? SPEEDS : SPEEDS.concat([chosen]).sort((a, b) => a - b);
    $("pb-speed").innerHTML = speeds.map((s) => `<option value="${s}"${s === chosen ? " selected" : ""}>×${I18N.num(s)}</option>`).join("");
  }
  speedOptions(SPEEDS[1]);

  window.BWTimeline = {
    start() {
      refreshSpan(); setInterval(refreshSpan, 5000);
      if (dash().state.who?.replay) refreshReplay();
      showTime();
    },
    onReplay() { refreshReplay(); },
    redraw() {
      speedOptions(Number($("pb-speed").value) || SPEEDS[1]);
      showTime(); showReplay(); if (T.span) $("tl-start").textContent = I18N.date(T.span[0]);
    },
    show,
    goLive,
    playFrom,
    get playback() { return T.play && { ...T.play }; },
    get steps() { return T.steps; },
  };
})();
