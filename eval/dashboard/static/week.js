// One week of the dashboard: fetch /api/v1/dashboard/week and draw its sections (text via
// textContent only). A section built from fewer than 5 agents shows why it is empty.

import { API, authHeaders, errorMessage } from "/panel/api.js";
import { $, el } from "/panel/dom.js";
import { bars } from "./charts.js";
import { count, percent } from "./format.js";
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

function gaps(g) {
  const title = "Lacunes de la base de connaissances";
  if (g.total.suppressed) return card(title, hidden(g.total));
  const parts = [el("p", `${g.total.count} questions sans brouillon utile (pas de brouillon ou brouillon écarté), par thème.`)];
  for (const topic of g.topics) {
    const details = el("details");
    details.append(el("summary", `${topic.topic} — ${topic.count}`));
    const list = el("ul");
    for (const q of topic.examples) list.append(el("li", q));
    details.append(list);
    parts.push(details);
  }
  const other = g.other_topics;
  if (other) parts.push(other.suppressed
    ? el("p", `Autres thèmes non affichés : ${other.reason}.`, { class: "suppressed" })
    : el("p", `Autres thèmes (moins de 5 agents chacun) : ${other.count}`));
  const c = card(title, ...parts);
  c.classList.add("wide");
  return c;
}

function evals(e) {
  const title = "Évaluations par version";
  if (!e.runs.length) return card(title, el("p", e.message, { class: "suppressed" }));
  const rows = e.runs.map((run) => [
    `${String(run.created_at || "").slice(0, 10)} — ${run.dataset && run.dataset.name ? run.dataset.name : run.dataset} — ${Object.values(run.release || {}).filter(Boolean).join(" / ")}`,
    Object.entries(run.scores || {}).map(([m, s]) => `${m} ${Number(s.value).toFixed(3)}`).join(" ; "),
  ]);
  return card(title, table(rows));
}

export function renderWeek(data) {
  const L = data.labels;
  $("week-title").textContent = data.label.charAt(0).toUpperCase() + data.label.slice(1);
  $("demo-banner").hidden = !data.demo;
  const blocks = [
    activity(data.activity, L), outcomes(data.outcomes, L), verdicts(data.verdicts, L), edits(data.edit_distance),
    times(data.time_to_send, L), flags(data.flags, L), gaps(data.kb_gaps), evals(data.evals),
    timeSavedCard(data.time_saved, L, card),
  ];
  $("week-view").replaceChildren(...blocks);
}
