// What the server writes, in English and French: risk reasons (watch/risk.py), the
// intercept plan's reasons and assumptions (respond/intercept.py) and the reasons a form's
// field is refused (domain/errors.py REASON_PARAMS). The server sends a stable code and its
// values with its English text; these strings say it in the page's language, the numbers
// in its locale's format (BWI18n.coded), and an unknown code shows the server's English.
// tests/unit/test_server_text_lang.py checks that every code the server can send is here
// in both languages. One string a line. The removal programmes (screening/rules.yaml) are
// named by their French acronyms in French: SAR (sursis administratif aux renvois), STR
// (suspension temporaire des renvois).
"use strict";
window.BWI18n.add({
  en: {
    "risk.temperature_unknown": "temperature unknown",
    "risk.extreme_cold": "extreme cold: {temperature_c} °C",
    "risk.extreme_cold.wind": "extreme cold: {temperature_c} °C (wind chill {wind_chill_c})",
    "risk.severe_cold": "severe cold: {temperature_c} °C",
    "risk.severe_cold.wind": "severe cold: {temperature_c} °C (wind chill {wind_chill_c})",
    "risk.cold": "cold: {temperature_c} °C",
    "risk.cold.wind": "cold: {temperature_c} °C (wind chill {wind_chill_c})",
    "risk.night": "dark (sun {sun_below_deg}° below the horizon)",
    "risk.snow": "on foot in snow",
    "risk.ages_unknown": "group composition not seen",
    "risk.children": "children in group: {count}",
    "risk.large_group": "group of about {group_size}",
    "icpt.reason.no_units": "no responder unit is declared or has reported",
    "icpt.reason.too_old": "the group's last known position is older than the prediction horizon",
    "icpt.reason.none_available": "no unit is available (all assigned or off duty)",
    "icpt.reason.all_stale": "every available unit's position is stale",
    "icpt.reason.out_of_reach": "no available unit can reach the group within the horizon",
    "icpt.assume.straight_line": "straight line from the unit to the intercept point at its off-road speed (no road network is bundled); road_bound_s is the same line at its road speed",
    "icpt.assume.by_road": "by road where the deployment's road network ({source}) gets there sooner: off road to a nearby road node, along the roads at the slower of the unit's road speed and the road's, off road to the meeting point; roads join only where their lines share a vertex; otherwise the straight line at the unit's off-road speed; road_bound_s is the straight line at its road speed",
    "icpt.assume.keeps_heading": "the group keeps its last known speed and heading",
    "icpt.assume.leaves_now": "the unit is at its last reported (or declared home) position and leaves now",
    "err.missing": "required",
    "err.string_too_long": "at most {max_length} characters",
    "err.degrees_required": "required (a number in degrees)",
    "err.out_of_range": "must be from {min} to {max}",
    "err.time_format": "not a date and time (e.g. 2025-02-03T13:27:00Z)",
    "err.time_offset": "needs a UTC offset (e.g. Z or -07:00)",
    "err.unit_required": "the unit that intercepted: a non-empty id",
    "err.people_required": "list each person found (at least one)",
    "err.people_max": "at most {max} people in one report",
    "err.belongings_max": "a text of at most {max} characters",
    "err.apparent_age_range": "years from 0 to {max}, or empty",
    "err.child_bool": "child or adult (under 18 as judged)",
    "err.child_but_adult_age": "says a child but the apparent age is {age}",
    "err.adult_but_child_age": "says an adult but the apparent age is {age}",
    "err.conditions_list": "conditions: hypothermia, frostbite, injury, unconscious, medical transport",
    "err.identifier_refused": "personal identifiers are not the field team's to collect: the screening officer records them with the case",
    "err.not_a_report_field": "not a field of the report",
    "err.bool_or_null": "must be yes, no or unknown",
    "err.date_or_null": "must be a date YYYY-MM-DD, or empty",
    "err.choice_or_null": "must be one of the choices offered, or unknown",
    "err.age_years": "must be a whole number of years from 0 to {max}, or empty",
    "err.country_code": "must be ISO 3166-1 alpha-2 codes (e.g. MX), separated by commas",
    "err.nationality_null": "must not contain an empty nationality",
    "err.claim_before_agreement": "{date} is before the Agreement came into force",
    "err.officer_required": "must name the officer",
    "prog.ADR": "ADR",
    "prog.TSR": "TSR",
  },
  fr: {
    "risk.temperature_unknown": "température inconnue",
    "risk.extreme_cold": "froid extrême : {temperature_c} °C",
    "risk.extreme_cold.wind": "froid extrême : {temperature_c} °C (refroidissement éolien {wind_chill_c})",
    "risk.severe_cold": "grand froid : {temperature_c} °C",
    "risk.severe_cold.wind": "grand froid : {temperature_c} °C (refroidissement éolien {wind_chill_c})",
    "risk.cold": "froid : {temperature_c} °C",
    "risk.cold.wind": "froid : {temperature_c} °C (refroidissement éolien {wind_chill_c})",
    "risk.night": "obscurité (soleil à {sun_below_deg}° sous l’horizon)",
    "risk.snow": "à pied dans la neige",
    "risk.ages_unknown": "composition du groupe non observée",
    "risk.children": "enfants dans le groupe : {count}",
    "risk.large_group": "groupe d’environ {group_size} personnes",
    "icpt.reason.no_units": "aucune unité d’intervention n’est déclarée ni n’a transmis sa position",
    "icpt.reason.too_old": "la dernière position connue du groupe dépasse l’horizon de prévision",
    "icpt.reason.none_available": "aucune unité n’est disponible (toutes affectées ou hors service)",
    "icpt.reason.all_stale": "la position de chaque unité disponible est périmée",
    "icpt.reason.out_of_reach": "aucune unité disponible ne peut rejoindre le groupe dans l’horizon de prévision",
    "icpt.assume.straight_line": "ligne droite de l’unité au point d’interception à sa vitesse hors route (aucun réseau routier n’est fourni) ; road_bound_s est la même ligne à sa vitesse sur route",
    "icpt.assume.by_road": "par la route là où le réseau routier du déploiement ({source}) y mène plus tôt : hors route jusqu’à un nœud routier proche, sur les routes à la plus faible de la vitesse sur route de l’unité et de celle de la route, hors route jusqu’au point de rencontre ; les routes ne se rejoignent que là où leurs tracés partagent un sommet ; sinon en ligne droite à la vitesse hors route de l’unité ; road_bound_s est la ligne droite à sa vitesse sur route",
    "icpt.assume.keeps_heading": "le groupe garde sa dernière vitesse et son dernier cap connus",
    "icpt.assume.leaves_now": "l’unité est à sa dernière position transmise (ou à son point d’attache déclaré) et part maintenant",
    "err.missing": "obligatoire",
    "err.string_too_long": "au plus {max_length} caractères",
    "err.degrees_required": "obligatoire (un nombre en degrés)",
    "err.out_of_range": "doit être compris entre {min} et {max}",
    "err.time_format": "n’est pas une date et heure (p. ex. 2025-02-03T13:27:00Z)",
    "err.time_offset": "il manque le décalage par rapport à l’UTC (p. ex. Z ou -07:00)",
    "err.unit_required": "l’unité qui a intercepté : un identifiant non vide",
    "err.people_required": "indiquez chaque personne trouvée (au moins une)",
    "err.people_max": "au plus {max} personnes par rapport",
    "err.belongings_max": "un texte d’au plus {max} caractères",
    "err.apparent_age_range": "de 0 à {max} ans, ou vide",
    "err.child_bool": "enfant ou adulte (moins de 18 ans, selon l’apparence)",
    "err.child_but_adult_age": "indique un enfant, mais l’âge apparent est de {age} ans",
    "err.adult_but_child_age": "indique un adulte, mais l’âge apparent est de {age} ans",
    "err.conditions_list": "états : hypothermie, engelures, blessure, inconscient, transport médical",
    "err.identifier_refused": "les identifiants personnels ne relèvent pas de l’équipe de terrain : l’agent d’examen les consigne au dossier",
    "err.not_a_report_field": "ne fait pas partie du rapport",
    "err.bool_or_null": "doit être oui, non ou inconnu",
    "err.date_or_null": "doit être une date AAAA-MM-JJ, ou vide",
    "err.choice_or_null": "doit être l’un des choix offerts, ou inconnu",
    "err.age_years": "doit être un nombre entier d’années de 0 à {max}, ou vide",
    "err.country_code": "doit être des codes ISO 3166-1 alpha-2 (p. ex. MX) séparés par des virgules",
    "err.nationality_null": "ne doit pas contenir de nationalité vide",
    "err.claim_before_agreement": "le {date} est antérieur à l’entrée en vigueur de l’Entente",
    "err.officer_required": "doit nommer l’agent",
    "prog.ADR": "SAR",
    "prog.TSR": "STR",
  },
});

// The server's text for one coded item, in the page's language.
window.BWServerText = (function () {
  const I = window.BWI18n;
  const COLD = ["extreme_cold", "severe_cold", "cold"];
  return {
    // A risk reason ({code, text, points, params}); a cold one names the wind chill only
    // when the wind makes it colder (the server sends null otherwise).
    risk(r) {
      const p = r.params || {};
      const wind = COLD.includes(r.code) && p.wind_chill_c != null;
      return I.coded(`risk.${r.code}${wind ? ".wind" : ""}`, p, r.text);
    },
    // Why an intercept plan has no proposal.
    noProposal(plan) {
      return plan.reason_code ? I.coded(`icpt.reason.${plan.reason_code}`, {}, plan.reason) : plan.reason;
    },
    // The plan's i-th assumption.
    assumption(plan, i) {
      const code = (plan.assumption_codes || [])[i];
      return code ? I.coded(`icpt.assume.${code}`, plan.assumption_params, plan.assumptions[i]) : plan.assumptions[i];
    },
    // A removal programme's acronym (ADR, TSR) in the page's language.
    programme(name) {
      return name ? I.coded(`prog.${name}`, {}, name) : "";
    },
    // One item of a 422's detail ({loc, msg, type, ctx}): the server's code in ctx, else
    // FastAPI's own type (missing, string_too_long, with its values in ctx).
    refusal(d) {
      const coded = d.ctx && d.ctx.code;
      return I.coded(`err.${coded ? d.ctx.code : d.type}`, coded ? d.ctx.params : d.ctx, d.msg);
    },
  };
})();
