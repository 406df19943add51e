// What the reading pages (/notices, /stats) share: ask for the key until it is accepted,
// show who it is, fetch the page's one document and render it, again on a change of
// language. The page marks itself loaded once rendered (the browser tests wait for it).
"use strict";
window.BWPage = {
  read(url, render) {
    const F = window.BWForms, I = window.BWI18n;
    const $ = (id) => document.getElementById(id);
    let data = null;
    async function start() {
      if (!F.key()) { F.login($("login"), start); return; }
      let who;
      try { who = await F.call("/v1/whoami"); } catch (e) { sessionStorage.removeItem("bw-key"); F.login($("login"), start); return; }
      $("who").textContent = `${who.agency} · ${who.role}`;
      $("app").hidden = false;
      data = await F.call(url);
      if (data.simulated) $("sim").hidden = false;
      render(data);
      document.body.dataset.loaded = "true";
    }
    F.langSwitch($("langs"));
    I.apply();
    window.addEventListener("bw-lang", () => { if (data) render(data); });
    start();
  },
};
