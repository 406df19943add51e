// The page's language, English or French (federal operations software in Canada offers
// both: Official Languages Act, Part IV), and numbers and dates written as that
// language's Canadian locale writes them. Shared by every page; each page registers its
// own strings with BWI18n.add({en: {...}, fr: {...}}).
//
// The language is, in order: ?lang= in the address, the user's last choice (localStorage),
// the browser's language (fr-* gives French), else English. Elements carry their string's
// key in data-i18n (text), data-i18n-placeholder, data-i18n-title or data-i18n-aria-label;
// BWI18n.apply() fills them, and BWI18n.set(lang) switches the page and fires "bw-lang"
// on window so scripts redraw what they wrote themselves.
(function () {
  "use strict";
  const LANGS = ["en", "fr"];
  const LOCALES = { en: "en-CA", fr: "fr-CA" };
  const STORE = "bw-lang";
  const strings = { en: {}, fr: {} };

  function first() {
    const asked = new URLSearchParams(location.search).get("lang");
    if (LANGS.includes(asked)) return asked;
    let kept = null;
    try { kept = localStorage.getItem(STORE); } catch (e) { /* storage off: not kept */ }
    if (LANGS.includes(kept)) return kept;
    return (navigator.language || "en").toLowerCase().startsWith("fr") ? "fr" : "en";
  }
  let lang = first();

  // A missing French string falls back to English, then to the key itself, so a gap shows
  // as text rather than a blank (tests look for the key to catch it).
  function t(key, vars) {
    let s = strings[lang][key];
    if (s === undefined) s = strings.en[key];
    if (s === undefined) s = key;
    if (vars) s = s.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
    return s;
  }

  // A text the server wrote, from its code and values (a risk reason, an intercept
  // assumption, a refused field's reason): the catalogue's string for `key` with the values
  // in this language's number format, else the server's English `fallback` when the key or
  // one of its values is missing (an older server, a new code): never blank, never a key.
  function coded(key, params, fallback) {
    let s = strings[lang][key];
    if (s === undefined) s = strings.en[key];
    if (s === undefined) return fallback ?? key;
    const vals = params || {};
    let gap = false;
    s = s.replace(/\{(\w+)\}/g, (m, name) => {
      const v = vals[name];
      if (v === undefined || v === null) { gap = true; return m; }
      return typeof v === "number" ? new Intl.NumberFormat(LOCALES[lang]).format(v) : String(v);
    });
    return gap && fallback ? fallback : s;
  }

  const ATTRS = [["data-i18n-placeholder", "placeholder"], ["data-i18n-title", "title"],
                 ["data-i18n-aria-label", "aria-label"]];
  function apply(root) {
    const scope = root || document;
    scope.querySelectorAll("[data-i18n]").forEach((node) => { node.textContent = t(node.dataset.i18n); });
    for (const [data, attr] of ATTRS) {
      scope.querySelectorAll(`[${data}]`).forEach((node) => node.setAttribute(attr, t(node.getAttribute(data))));
    }
    document.documentElement.lang = lang;
  }

  function set(next) {
    if (!LANGS.includes(next)) throw new Error(`language must be one of ${LANGS.join(", ")}: ${next}`);
    lang = next;
    try { localStorage.setItem(STORE, next); } catch (e) { /* storage off: this page only */ }
    apply();
    window.dispatchEvent(new CustomEvent("bw-lang", { detail: { lang: next } }));
  }

  // Dates are shown in UTC, as the records and the feed keep them, with the zone named.
  function date(value, withTime) {
    const d = value instanceof Date ? value : new Date(typeof value === "number" ? value * 1000 : value);
    if (Number.isNaN(d.getTime())) return String(value);
    const opts = withTime === false ? { dateStyle: "medium", timeZone: "UTC" }
      : { dateStyle: "medium", timeStyle: "medium", timeZone: "UTC" };
    return `${new Intl.DateTimeFormat(LOCALES[lang], opts).format(d)}${withTime === false ? "" : " UTC"}`;
  }

  window.BWI18n = {
    LANGS,
    get lang() { return lang; },
    get locale() { return LOCALES[lang]; },
    add(dict) { for (const l of LANGS) Object.assign(strings[l], (dict && dict[l]) || {}); },
    keys(l) { return Object.keys(strings[l || "en"]); },
    t,
    coded,
    apply,
    set,
    num(value, opts) { return new Intl.NumberFormat(LOCALES[lang], opts).format(value); },
    date,
  };
})();
