// The sources: one entry per document, each with its whole passages (the cited sentences marked)
// and, in plain French, why the search chose it.

import { $, el, frenchDate, ordinal, sourceLink } from "./dom.js";
import { sourceLine } from "./freshness.js";
import { state } from "./state.js";
import { sourceClosed, sourceOpened } from "./timings.js";

/**
 * The final record's citations carry the cited sentence but no text (text: null): the whole passage
 * is in passages[] — matched by chunk_id, or by n when it is the same document. Then one entry per
 * document (doc_id), numbered by its smallest n, whatever the numbering (gaps or 1..k).
 */
export function sourceEntries(cited, retrieved = []) {
  const byChunk = new Map(retrieved.map((p) => [p.chunk_id, p]));
  const byN = new Map(retrieved.map((p) => [String(p.n), p]));
  const entries = new Map();
  for (const c of cited) {
    const sameN = byN.get(String(c.n));
    const full = byChunk.get(c.chunk_id) || (sameN && sameN.doc_id === c.doc_id ? sameN : null);
    const passage = { ...c, text: c.text || (full && full.text) || "" };
    const key = c.doc_id || c.chunk_id || `n${c.n}`;
    if (!entries.has(key)) entries.set(key, { key, passages: [] });
    entries.get(key).passages.push(passage);
  }
  return [...entries.values()]
    .map((e) => {
      e.passages.sort((a, b) => a.n - b.n);
      const first = e.passages[0];
      return { ...e, n: first.n, ns: e.passages.map((p) => p.n), title: first.title, url: first.url,
        updated: first.updated };
    })
    .sort((a, b) => a.n - b.n);
}

/**
 * Where the cited sentence is in the passage. It is one passage sentence or several joined by a
 * space (a heading line may separate them in the passage): the longest runs of its words found in
 * the text, each marked on its own.
 */
export function citedRanges(text, sentence) {
  if (!text || !sentence) return [];
  const whole = text.indexOf(sentence);
  if (whole >= 0) return [[whole, whole + sentence.length]];
  const words = sentence.split(/\s+/).filter(Boolean);
  const ranges = [];
  let i = 0;
  while (i < words.length) {
    let j = i + 1;
    let found = null;
    for (; j <= words.length; j++) {
      const piece = words.slice(i, j).join(" ");
      const at = text.indexOf(piece);
      if (at < 0) break;
      found = [at, at + piece.length];
    }
    const count = j - 1 - i;
    if (found && (count >= 3 || count === words.length)) {
      ranges.push(found);
      i = j - 1;
    } else {
      i += 1;
    }
  }
  ranges.sort((a, b) => a[0] - b[0]);
  return ranges.filter((r, k) => k === 0 || r[0] >= ranges[k - 1][1]);
}

/** The whole passage, the cited sentence(s) in <mark>. */
export function passageBody(p) {
  const body = el("div", null, { class: "passage" });
  const text = p.text || "";
  const ranges = citedRanges(text, p.cited_sentence);
  if (!text) {
    body.append(p.cited_sentence ? el("mark", p.cited_sentence) : "Texte du passage indisponible.");
    return body;
  }
  let at = 0;
  for (const [start, end] of ranges) {
    body.append(text.slice(at, start), el("mark", text.slice(start, end)));
    at = end;
  }
  body.append(text.slice(at));
  return body;
}

// ------------------------------------------------------------------ "pourquoi ce passage"

const fold = (s) => s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
const isWords = (name) => name.startsWith("bm25");
const isTitle = (name) => name.endsWith("_title");

/** The matched (folded) terms, written as the agent typed them in the question when possible. */
export function questionWords(terms, question) {
  const typed = new Map();
  for (const word of (question || "").match(/[\p{L}\p{N}]+/gu) || []) {
    if (!typed.has(fold(word))) typed.set(fold(word), word.toLowerCase());
  }
  return [...new Set((terms || []).map((t) => typed.get(fold(t)) || t))];
}

function kindsOf(names) {
  const kinds = [];
  if (names.some(isWords)) kinds.push("par les mots");
  if (names.some((n) => !isWords(n) && !isTitle(n))) kinds.push("par le sens");
  if (names.some(isTitle)) kinds.push("par le titre");
  return kinds.length ? ` (${kinds.join(", ")})` : "";
}

function host(url) {
  try { return /^https?:/i.test(url || "") ? new URL(url).hostname.replace(/^www\./, "") : ""; } catch { return ""; }
}

/** Plain-French reasons: the question's words found, closeness in meaning, source and date, rank. */
export function whyLines(p, { question = "", position = 0 } = {}) {
  const lines = [];
  const words = questionWords(p.matched_terms, question);
  lines.push(words.length
    ? `Mots de la question présents dans le passage : ${words.join(", ")}.`
    : "Aucun mot de la question dans le passage.");
  const dense = [...Object.entries(p.ranks || {}), ...Object.entries(p.doc_ranks || {})]
    .filter(([name, rank]) => !isWords(name) && rank <= 3);
  if (dense.length) lines.push(words.length ? "Proche par le sens de la question." : "Proche par le sens de la question, avec d'autres mots.");
  const site = host(p.url);
  const date = p.updated ? `à jour au ${frenchDate(p.updated)}` : "date de mise à jour inconnue";
  lines.push(`Source : ${site ? `${site}, ` : ""}${date}.`);
  const names = Object.keys(p.doc_ranks || {});
  const ranks = Object.values(p.doc_ranks || {});
  const firsts = ranks.filter((r) => r === 1).length;
  const top3 = ranks.filter((r) => r <= 3).length;
  const where = position ? `Document classé ${ordinal(position)} des résultats` : "Document retenu";
  if (!names.length) lines.push(`${where}.`);
  else if (position === 1 && firsts) {
    const among = firsts === names.length ? `les ${firsts}` : `${firsts} des ${names.length}`;
    lines.push(`${where} : 1er dans ${among} classements${kindsOf(names)}.`);
  }
  else if (top3) lines.push(`${where} : dans les 3 premiers de ${top3} des ${names.length} classements${kindsOf(names)}.`);
  else lines.push(`${where} par l'ensemble des ${names.length} classements${kindsOf(names)}.`);
  if ((p.heading_path || []).length) lines.push(`Section : ${p.heading_path.join(" › ")}.`);
  return lines;
}

/** The document's rank among the retrieved ones (1-based), 0 when unknown. */
export function positionOf(p) {
  return state.docOrder.indexOf(p.doc_id) + 1;
}

export function whyDetails(p) {
  const details = el("details", null, { class: "why" });
  details.append(el("summary", "Pourquoi ce passage"));
  const list = el("ul");
  const question = state.question ? state.question.question : "";
  for (const line of whyLines(p, { question, position: positionOf(p) })) list.append(el("li", line));
  details.append(list);
  return details;
}

// ------------------------------------------------------------------ the list

export function setOpen(item, open) {
  const button = item.querySelector("button.toggle");
  const panel = item.querySelector(".passage-panel");
  if (open === !panel.hidden) return;
  panel.hidden = !open;
  button.setAttribute("aria-expanded", String(open));
  const n = item.dataset.n;
  if (open) sourceOpened(`list-${n}`);
  else sourceClosed(`list-${n}`, n);
}

export function closeAllEntries() {
  for (const item of document.querySelectorAll("#citations > li[data-n]")) setOpen(item, false);
}

/** Show the sources: `cited` (the draft's citations, or the passages when there is no draft). */
export function renderSources(cited, retrieved = cited) {
  closeAllEntries();
  const list = $("citations");
  list.replaceChildren();
  state.docOrder = [...new Set(retrieved.map((p) => p.doc_id))];
  state.entries = sourceEntries(cited, retrieved);
  state.passages = new Map(state.entries.flatMap((e) => e.passages.map((p) => [String(p.n), p])));
  if (!state.entries.length) { list.append(el("li", "Aucune source trouvée.")); return; }
  for (const entry of state.entries) list.append(entryNode(entry));
}

function entryNode(entry) {
  const item = el("li", null, { "data-n": String(entry.n) });
  const panelId = `passage-${entry.n}`;
  const others = entry.ns.slice(1).map((n) => `[${n}]`).join(" ");
  const label = `[${entry.n}] ${entry.title} — ${frenchDate(entry.updated)}${others ? ` (aussi ${others})` : ""}`;
  const button = el("button", label, { type: "button", class: "toggle", "aria-expanded": "false", "aria-controls": panelId });
  let focusedAt = 0;
  button.addEventListener("focus", () => { focusedAt = performance.now(); setOpen(item, true); });
  button.addEventListener("click", () => {
    if (performance.now() - focusedAt < 400) return; // the focus that came with this click opened it
    setOpen(item, item.querySelector(".passage-panel").hidden);
  });
  const panel = el("div", null, { id: panelId, class: "passage-panel" });
  panel.hidden = true;
  for (const p of entry.passages) {
    if (entry.passages.length > 1) panel.append(el("p", `Passage [${p.n}]`, { class: "passage-n" }));
    panel.append(passageBody(p), whyDetails(p));
  }
  item.append(button, sourceLine(entry.passages[0]), sourceLink(entry.url), panel);
  return item;
}
