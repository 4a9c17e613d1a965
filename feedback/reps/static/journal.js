// « Le journal »: the feedback log, filtered by week, type, topic and outcome; a page of 100 rows;
// CSV with French headers. The server sends no pseudonym and no free text (feedback/journal.py).

import { API, authHeaders, downloadFrom, errorMessage } from "/panel/api.js";
import { $, el } from "/panel/dom.js";

const PAGE = 100;
const TYPES = { "": "Tous", shown: "Brouillon affiché", edit_started: "Modification commencée",
  regenerated: "Régénéré", sources_opened: "Sources ouvertes", sent: "Envoyé", discarded: "Écarté",
  verdict: "Avis utile / pas utile" };
const OUTCOMES = { "": "Toutes", accepted_as_is: "Envoyé tel quel", edited: "Envoyé après modifications",
  rewritten: "Réécrit", discarded: "Écarté", no_draft: "Répondu sans brouillon", unassisted: "Répondu (bras témoin)" };
const DECISIONS = { drafted: "brouillon proposé", abstained: "pas de brouillon", routed_to_human: "orientée vers un humain" };
const REASONS = { wrong: "réponse fausse", outdated: "information périmée",
  missing_information: "information manquante", invented_source_or_fact: "source ou fait inventé",
  tone: "ton inadapté", too_long: "trop long", other: "autre" };
const ROLES = { rep: "représentant·e", lead: "chef·fe de projet", admin: "administrateur·rice" };
const READS = { journal: "le journal", "journal.csv": "le journal (CSV)", stats: "les agrégats",
  "stats.csv": "les agrégats (CSV)", bundle: "le paquet de vérification", "dashboard.week": "le tableau de bord",
  "dashboard.trend": "la tendance du tableau de bord", "dashboard.export": "l'export du tableau de bord" };
const state = { offset: 0, topicsLoaded: false };

function renderAccesses(accesses) {
  const head = el("tr");
  ["Heure", "Rôle", "A lu"].forEach((h) => head.append(el("th", h, { scope: "col" })));
  const rows = accesses.map((a) => {
    const tr = el("tr");
    [a.hour, ROLES[a.role] || a.role, READS[a.what] || a.what].forEach((v) => tr.append(el("td", v)));
    return tr;
  });
  $("accesses-table").replaceChildren(head, ...rows);
}

function options(select, entries) {
  select.replaceChildren(...Object.entries(entries).map(([v, label]) => el("option", label, { value: v })));
}

export function initJournal(thisWeek) {
  options($("f-type"), TYPES);
  options($("f-outcome"), OUTCOMES);
  options($("f-topic"), { "": "Tous" });
  $("f-week").value = thisWeek;
}

function params(extra = {}) {
  const q = new URLSearchParams({ week: $("f-week").value, limit: String(PAGE), offset: String(state.offset), ...extra });
  for (const name of ["type", "topic", "outcome"]) {
    const value = $(`f-${name}`).value;
    if (value) q.set(name, value);
  }
  return q;
}

function render(page) {
  const head = el("tr");
  ["Heure", "Type", "Thème", "Décision", "Issue", "Raisons", "Distance d'édition", "Texte libre"]
    .forEach((h) => head.append(el("th", h, { scope: "col" })));
  const rows = page.rows.map((r) => {
    const tr = el("tr");
    const value = r.type === "verdict" ? ` (${r.value === "up" ? "utile" : "pas utile"})` : "";
    [r.hour, (TYPES[r.type] || r.type) + value, r.topic_label || "—", DECISIONS[r.decision] || r.decision,
      OUTCOMES[r.outcome] || "—", r.reasons.map((x) => REASONS[x] || x).join(", ") || "—",
      r.edit_distance === null ? "—" : String(r.edit_distance).replace(".", ","),
      r.purged ? "purgé (durée de conservation)" : r.free_text || "—"]
      .forEach((v, i) => tr.append(el("td", v, i === 7 && r.free_text ? { class: "masked" } : {})));
    return tr;
  });
  $("journal-table").replaceChildren(head, ...rows);
  const last = Math.min(page.offset + page.rows.length, page.total);
  $("journal-count").textContent = page.total
    ? `Événements ${page.offset + 1} à ${last} sur ${page.total}.`
    : "Aucun événement pour ces critères.";
  $("journal-prev").disabled = page.offset === 0;
  $("journal-next").disabled = last >= page.total;
}

export async function loadJournal(offset = 0) {
  state.offset = offset;
  const r = await fetch(`${API}/audit/journal?${params()}`, { headers: authHeaders() });
  if (!r.ok) throw Object.assign(new Error(await errorMessage(r)), { status: r.status });
  const page = await r.json();
  if (!state.topicsLoaded) {
    const chosen = $("f-topic").value;
    options($("f-topic"), { "": "Tous", ...Object.fromEntries(page.topics.map((t) => [t.id, t.label])) });
    $("f-topic").value = chosen;
    state.topicsLoaded = true;
  }
  render(page);
  renderAccesses(page.accesses || []);
}

export const nextPage = () => loadJournal(state.offset + PAGE);
export const previousPage = () => loadJournal(Math.max(0, state.offset - PAGE));

export async function journalCsv() {
  const q = params({ limit: "500", offset: "0" });
  await downloadFrom(`${API}/audit/journal.csv?${q}`, `journal-${$("f-week").value}.csv`);
}
