// One week of the dashboard: fetch /api/v1/dashboard/week and draw its sections (text via
// textContent only). A section built from fewer than 5 agents shows why it is empty.

import { API, authHeaders, errorMessage } from "/panel/api.js";
import { $, el } from "/panel/dom.js";
import { bars } from "./charts.js";
import { clock, count, decimal, percent } from "./format.js";
import { timeSavedCard } from "./timesaved.js";

export async function fetchWeek(week) {
  const query = week ? `?week=${encodeURIComponent(week)}` : "";
  const r = await fetch(`${API}/dashboard/week${query}`, { headers: authHeaders() });
  if (!r.ok) throw Object.assign(new Error(await errorMessage(r)), { status: r.status });
  return r.json();
}

function card(title, ...content) {
  const id = `card-${title.toLowerCase().normalize("NFD").replace(/[^a-z]+/g, "-")}`;
  const section = el("section", null, { class: "card", "aria-labelledby": id });
  section.append(el("h3", title, { id }), ...content);
  return section;
}

const hidden = (block) => el("p", `Non affiché : ${block.reason} (seuil de confidentialité).`, { class: "suppressed" });

function table(rows) {
  const t = el("table");
  for (const [name, value] of rows) {
    const tr = el("tr");
    tr.append(el("th", name, { scope: "row" }), el("td", value, { class: "n" }));
    t.append(tr);
  }
  return t;
}

function activity(a, L) {
  if (a.suppressed) return card("Activité", hidden(a));
  return card("Activité", table([
    ["Questions reçues", a.questions],
    ...Object.entries(a.decisions).map(([k, v]) => [L.decisions[k], v]),
    ...Object.entries(a.arms).map(([k, v]) => [L.arms[k], v]),
    ["Régénérations", a.regenerations],
    ["Brouillons « proposer quand même »", a.forced],
  ]));
}

function outcomes(o, L) {
  if (o.suppressed) return card("Issue des brouillons", hidden(o));
  const items = Object.entries(o.counts).map(([k, v]) => [L.outcomes[k], v]);
  return card("Issue des brouillons", el("p", `${o.drafts} brouillons ou questions avec une issue.`),
    bars(items, "Issue des brouillons", count));
}

function verdicts(v, L) {
  if (v.suppressed) return card("Avis des agents", hidden(v));
  const head = el("p", `Brouillons avec au moins un avis « pas utile » : ${v.drafts_down} sur ${v.drafts_shown} affichés, soit ${percent(v.down_share)}.`);
  const items = Object.entries(v.reasons).map(([k, n]) => [L.reasons[k] || k, n]);
  return card("Avis des agents", head, ...(items.length ? [bars(items, "Raisons des avis « pas utile »", count)] : []));
}

function edits(e) {
  if (e.suppressed) return card("Modifications avant envoi", hidden(e));
  const q = e.quartiles;
  const text = `${e.n} réponses envoyées à partir d'un brouillon.` +
    (q ? ` Quartiles de la distance d'édition : ${percent(q[0])}, médiane ${percent(q[1])}, ${percent(q[2])}.` : "");
  return card("Modifications avant envoi", el("p", text),
    bars(e.histogram.map((b) => [b.bucket, b.count]), "Distance d'édition brouillon → réponse envoyée", count));
}

function times(t, L) {
  const rows = Object.entries(t).map(([arm, b]) =>
    [L.arms[arm], b.suppressed ? `non affiché : ${b.reason}` : `${b.median} (${b.n} envois)`]);
  return card("Temps médian jusqu'à l'envoi", table(rows));
}

function flags(f, L) {
  if (f.suppressed) return card("Points signalés dans les brouillons", hidden(f));
  const items = Object.entries(f.by_kind).map(([k, n]) => [L.flags[k] || k, n]);
  return card("Points signalés dans les brouillons",
    el("p", `${f.drafts_flagged} brouillons sur ${f.drafts} avec au moins un point à vérifier.`),
    ...(items.length ? [bars(items, "Points à vérifier par type", count)] : []));
}

/** Clusters of questions the KB could not serve, largest first; examples only for clusters that at
 * least 5 agents fed (the server sends no others). */
function gaps(g, L) {
  const title = "Lacunes de la base de connaissances";
  if (g.total.suppressed) return card(title, hidden(g.total));
  const parts = [el("p", `${g.total.count} questions sans brouillon utile (pas de brouillon, brouillon écarté `
    + "ou « pas utile » pour information manquante ou périmée), regroupées par sens.")];
  for (const c of g.clusters) {
    const details = el("details");
    const why = Object.entries(c.why).map(([k, n]) => `${n} ${L.gap_why[k] || k}`).join(", ");
    details.append(el("summary", `${c.topic_label || "Sans thème"} — ${c.count} questions (${why})`));
    const list = el("ul");
    for (const q of c.examples) list.append(el("li", q));
    details.append(list);
    parts.push(details);
  }
  if (g.hidden && g.hidden.count) {
    parts.push(el("p", `${g.hidden.count} autres questions en ${g.hidden.clusters} groupes non détaillés : `
      + "moins de 5 agents chacun.", { class: "suppressed" }));
  }
  const c = card(title, ...parts);
  c.classList.add("wide");
  return c;
}

/** « 0,812 [0,79 ; 0,83] (n = 300) »; NaN when the metric was undefined for every sample. */
function scoreText(s) {
  if (s.value === null || Number.isNaN(Number(s.value))) return "non défini";
  const f = (x) => decimal(x, 3);
  const ci = s.ci_low === null || s.ci_low === undefined ? "" : ` [${f(s.ci_low)} ; ${f(s.ci_high)}]`;
  return `${f(s.value)}${ci}${s.n ? ` (n = ${s.n})` : ""}`;
}

/** Verified answers reused as drafts this week, and whether agents then found them wrong. */
function verified(v) {
  const title = "Réponses validées réutilisées";
  const now = v.answers_now;
  const retired = Object.values(now.retired).reduce((a, b) => a + b, 0);
  const stock = el("p", `Aujourd'hui : ${now.verified} réponses validées, ${now.candidate} candidates, `
    + `${retired} retirées.`);
  if (v.suppressed) return card(title, stock, hidden(v));
  return card(title, stock, table([
    ["Brouillons issus d'une réponse validée", `${v.reused} sur ${v.drafts} (${percent(v.reused_share)})`],
    ["Envoyés tels quels", count(v.sent_as_is)],
    ["Écartés", count(v.discarded)],
    ["Jugés « pas utile » ensuite", percent(v.down_share)],
  ]));
}

function evals(e) {
  const title = "Évaluations par version";
  if (!e.runs.length) return card(title, el("p", e.message, { class: "suppressed" }));
  const rows = e.runs.map((run) => [
    `${String(run.created_at || "").slice(0, 10)} — ${run.dataset && run.dataset.name ? run.dataset.name : run.dataset} — ${Object.values(run.release || {}).filter(Boolean).join(" / ")}`,
    Object.entries(run.scores || {}).map(([m, s]) => `${m} ${scoreText(s)}`).join(" ; "),
  ]);
  return card(title, table(rows));
}

// The week is reused for up to max_age_s after new data arrived (the server's
// HRA_FEEDBACK__AGGREGATES_MAX_AGE_S): say how fresh the figures are.
function computedAt(data) {
  const text = data.max_age_s > 0
    ? `Chiffres de la semaine calculés à ${clock(data.computed_at)} ; quand de nouvelles données arrivent, ils sont recalculés au plus toutes les ${Math.round(data.max_age_s)} s.`
    : `Chiffres de la semaine calculés à ${clock(data.computed_at)}.`;
  return el("p", text, { class: "note week-computed-at" });
}

export function renderWeek(data) {
  const L = data.labels;
  $("week-title").textContent = data.label.charAt(0).toUpperCase() + data.label.slice(1);
  $("demo-banner").hidden = !data.demo;
  const blocks = [
    activity(data.activity, L), outcomes(data.outcomes, L), verdicts(data.verdicts, L), edits(data.edit_distance),
    times(data.time_to_send, L), flags(data.flags, L), gaps(data.kb_gaps, L), verified(data.verified), evals(data.evals),
    timeSavedCard(data.time_saved, L, card),
    computedAt(data),
  ];
  $("week-view").replaceChildren(...blocks);
}
