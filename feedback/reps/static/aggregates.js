// « Les agrégats »: /audit/stats per week and topic, French headers, « moins de 5 agents » cells.

import { API, authHeaders, downloadFrom, errorMessage } from "/panel/api.js";
import { $, el } from "/panel/dom.js";

const pct = (v) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(1).replace(".", ",")} %`);
const mmss = (ms) => {
  if (ms === null || ms === undefined) return "—";
  const s = Math.round(ms / 1000), m = Math.floor(s / 60);
  return m ? `${m} min ${String(s % 60).padStart(2, "0")} s` : `${s} s`;
};
const COLUMNS = [
  ["Semaine", (r) => r.week], ["Thème", (r) => r.topic_label], ["Agents", (r) => r.agents],
  ["Brouillons affichés", (r) => r.drafts_shown], ["Envoyés tels quels", (r) => r.accepted_as_is],
  ["Modifiés", (r) => r.edited], ["Réécrits", (r) => r.rewritten], ["Écartés", (r) => r.discarded],
  ["Part « pas utile »", (r) => pct(r.thumbs_down_rate)],
  ["Temps médian jusqu'à l'envoi", (r) => mmss(r.median_ms_to_send)],
];

export async function showAggregates() {
  const r = await fetch(`${API}/audit/stats`, { headers: authHeaders() });
  if (!r.ok) throw Object.assign(new Error(await errorMessage(r)), { status: r.status });
  const rows = await r.json();
  const head = el("tr");
  COLUMNS.forEach(([name]) => head.append(el("th", name, { scope: "col" })));
  const body = rows.map((row) => {
    const tr = el("tr");
    const labelled = { ...row, topic_label: row.topic_label || row.topic };
    if (row.suppressed) {
      tr.append(el("td", row.week), el("td", labelled.topic_label),
        el("td", `masqué : moins de 5 agents (${row.agents})`, { colspan: String(COLUMNS.length - 2), class: "suppressed" }));
      return tr;
    }
    COLUMNS.forEach(([, value], i) => tr.append(el("td", value(labelled) ?? "—", i > 1 ? { class: "n" } : {})));
    return tr;
  });
  $("aggregates-table").replaceChildren(head, ...(body.length ? body : [el("tr", "Aucune donnée.")]));
}

export const aggregatesCsv = () => downloadFrom(`${API}/audit/stats.csv`, "agregats-retours.csv");
