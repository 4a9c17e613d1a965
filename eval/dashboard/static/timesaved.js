// « Temps gagné et travail induit »: the time saved against the randomised control arm (difference
// of medians and Hodges–Lehmann, 95 % intervals clustered by agent, n per arm), the per-arm quartiles
// of the time to send, the machine-oriented extra work with the net effect always beside it, the
// power note and the retypes — for the week and cumulated over 4 weeks. Text via textContent only;
// a hidden cell says why (« masqué », « pas assez de données »). Method: eval/MEASURES.md.

import { el } from "/panel/dom.js";
import { stacked } from "./charts.js";
import { clock, decimal, percent, seconds, signedSeconds } from "./format.js";

const PARTS = ["verification", "correction", "false_positives", "feedback"];
const interval = ([lo, hi]) => `[${signedSeconds(lo)} ; ${signedSeconds(hi)}]`;
const sizes = (c) => `${c.n_assisted} questions assistées / ${c.n_control} témoins`;
const why = (c) => `${c.status} : ${c.reason || "pas assez de données"}`;

function tableOf(head, rows, caption) {
  const t = el("table");
  if (caption) t.append(el("caption", caption));
  const tr = el("tr");
  head.forEach((h) => tr.append(el("th", h, { scope: "col" })));
  t.append(tr);
  for (const [name, ...cells] of rows) {
    const row = el("tr");
    row.append(el("th", name, { scope: "row" }));
    if (cells.length === 1 && head.length > 2) row.append(el("td", cells[0], { colspan: head.length - 1, class: "suppressed" }));
    else cells.forEach((c) => row.append(el("td", c, { class: "n" })));
    t.append(row);
  }
  return t;
}

/** « 35 s gagnées [12 s ; 58 s], 140 questions assistées / 18 témoins » (Hodges–Lehmann). */
export function headline(c) {
  if (c.status !== "ok") return `Temps gagné : non affiché — ${why(c)}.`;
  const hl = c.hodges_lehmann_s;
  const verb = hl >= 0 ? `${seconds(hl)} gagnées par question` : `${seconds(-hl)} perdues par question`;
  const doubt = c.interval_excludes_zero ? "" : " L'intervalle contient 0 : on ne peut pas conclure.";
  return `${verb} ${interval(c.hodges_lehmann_ci95_s)}, ${sizes(c)}.${doubt}`;
}

/** Topics hidden for the same reason, in one line: « masqué : moins de 5 agents … (28 thèmes) ».
 * Their names are not given: the server does not send them (eval/dashboard/time_saved.py). */
function hiddenTopics(b) {
  const groups = new Map();
  for (const c of b.per_topic.filter((t) => t.status !== "ok")) {
    const key = why(c);
    groups.set(key, [...(groups.get(key) || []), c.cell]);
  }
  return [...groups].map(([reason, names]) =>
    el("p", `Thèmes non affichés — ${reason} (${names.length} thème${names.length > 1 ? "s" : ""}).`,
      { class: "suppressed" }));
}

function savedTable(b) {
  const shown = b.per_topic.filter((c) => c.status === "ok");
  const rows = [b.overall, ...shown].map((c) => (c.status === "ok"
    ? [c.cell, `${signedSeconds(c.median_difference_s)} ${interval(c.median_difference_ci95_s)}`,
      `${signedSeconds(c.hodges_lehmann_s)} ${interval(c.hodges_lehmann_ci95_s)}`,
      `${c.n_assisted} / ${c.n_control}`, String(c.agents)]
    : [c.cell, why(c)]));
  return tableOf(["Thème", "Différence des médianes [IC 95 %]", "Hodges–Lehmann [IC 95 %]",
    "Questions envoyées (assistées / témoins)", "Agents"], rows,
  "Temps gagné par question (témoin − assisté) ; positif : le brouillon fait gagner du temps");
}

function powerNotes(b) {
  const cells = [b.overall, ...b.per_topic].filter((c) => c.power_note);
  if (!cells.length) return [];
  const details = el("details");
  details.append(el("summary", "Notes de puissance (combien de questions faudrait-il ?)"));
  const list = el("ul");
  cells.forEach((c) => list.append(el("li", `${c.cell} — ${c.power_note}`)));
  details.append(list);
  return [details];
}

function quartileTable(b, L) {
  const rows = b.quartiles.map((q) => (q.status === "ok"
    ? [L.arms[q.arm], String(q.n), seconds(q.q1_s), seconds(q.median_s), seconds(q.q3_s)]
    : [L.arms[q.arm], q.status]));
  return tableOf(["Bras", "Questions envoyées", "1er quartile", "Médiane", "3e quartile"], rows,
    "Temps d'envoi par bras");
}

function extraWork(b, L) {
  const x = b.extra_work;
  if (x.status !== "ok") return [el("p", `Travail induit : non affiché — ${why(x)}.`, { class: "suppressed" }), net(b)];
  const items = PARTS.map((k) => [L.extra[k], x.per_question_s[k]]);
  const rows = PARTS.map((k) => [L.extra[k], seconds(x.per_question_s[k]), seconds(x.total_minutes[k] * 60),
    percent(x.share_of_assisted_time_to_send[k]), x.inside_time_to_send.includes(k) ? "oui" : "non (s'ajoute)"]);
  rows.push(["Régénérations", `${decimal(x.regenerations_per_question, 3)} par question`, "—", "—", "oui (comprises)"]);
  return [
    stacked(items, `Travail induit par question assistée (${x.assisted_questions} questions, ${x.agents} agents)`, seconds),
    tableOf(["Composante", "Par question assistée", "Total", "Part du temps d'envoi assisté", "Dans le temps d'envoi ?"],
      rows, `Travail induit par la machine — temps d'envoi assisté moyen ${x.mean_assisted_time_to_send_s === null ? "—" : seconds(x.mean_assisted_time_to_send_s)}`),
    el("p", `Avis « source ou fait inventé » : ${decimal(x.invented_fact_or_source_per_question, 3)} par question ; `
      + `points à vérifier affichés : ${decimal(x.flags_per_question)} par question ; distance d'édition médiane : `
      + `${x.median_edit_distance === null ? "—" : decimal(x.median_edit_distance)}.`, { class: "note" }),
    net(b),
  ];
}

function net(b) {
  const n = b.net;
  if (n.status !== "ok") return el("p", `Effet net : non affiché — ${why(n)}.`, { class: "net suppressed" });
  const hl = b.overall.hodges_lehmann_s;
  return el("p", `Effet net : ${signedSeconds(n.net_saved_per_question_s)} par question ${interval(n.net_ci95_s)} `
    + `= temps gagné ${signedSeconds(hl)} − travail hors temps d'envoi ${seconds(n.extra_outside_time_to_send_s)} `
    + "(brouillons écartés et retours ; vérification et correction sont déjà dans le temps d'envoi).", { class: "net" });
}

function retypes(r) {
  const share = r.control_share === null ? "" : ` (${percent(r.control_share)})`;
  return el("p", `Questions témoin reposées comme nouvelle question : ${r.control_retyped} sur ${r.control_questions}${share}, `
    + `restées dans le bras témoin ; côté assisté : ${r.assisted_retyped} sur ${r.assisted_questions}.`, { class: "note" });
}

function block(b, title, L) {
  return [
    el("h4", title),
    el("p", headline(b.overall), { class: b.overall.status === "ok" ? "headline" : "headline suppressed" }),
    savedTable(b), ...hiddenTopics(b), ...powerNotes(b), quartileTable(b, L), ...extraWork(b, L), retypes(b.retypes),
  ];
}

const weekNo = (w) => `S${Number(w.slice(-2))}`;

export function timeSavedCard(t, L, card) {
  const week = t.per_week[t.per_week.length - 1];
  const c = card(t.title,
    ...block(week, `Semaine ${weekNo(week.week)}`, L),
    ...block(t.cumulated, `Cumul des ${t.weeks.length} dernières semaines (${weekNo(t.weeks[0])} à ${weekNo(t.weeks[t.weeks.length - 1])})`, L),
    el("p", t.feedback_time_note, { class: "note" }),
    el("p", `Cases masquées sous ${t.min_agents} agents distincts par bras ; « pas assez de données » sous 10 questions envoyées par bras. Méthode : ${t.method}.`, { class: "note" }),
    el("p", t.max_age_s > 0
      ? `Calculé à ${clock(t.computed_at)} ; quand de nouvelles données arrivent, ce calcul est refait au plus toutes les ${Math.round(t.max_age_s)} s.`
      : `Calculé à ${clock(t.computed_at)}.`, { class: "note computed-at" }));
  c.classList.add("wide", "time-saved");
  return c;
}
