// The draft: a plain textarea (natural editing, undo, paste) over a backdrop that holds the same
// text, font and wrapping with the highlights: [n] links, flagged values, the "to remove" note line.

import { $, el } from "./dom.js";
import { state } from "./state.js";

const CITE = /\[(\d{1,2})\]/g;
export const IN_TEXT_FLAGS = new Set([
  "url", "phone", "amount", "duration", "article", "figure", // absent from the cited sources (LLM drafts)
  "unofficial_sentence", // a sentence only pages from outside the official sources support
  "email", "iban", "copied_contact", "prompt_leak", // an e-mail, bank details, a contact from the message, our instructions
  "stale_term", "expired_measure", "old_figure", "contradiction", // freshness (every draft)
]);
// « (Brouillon rédigé pour un salarié du secteur privé — ligne à supprimer avant envoi) »
const NOTE_LINE = /^\([^\n]*supprimer avant envoi[^\n]*\)[ \t]*$/i;

/** The first line when it is a note for the agent that must not be sent, else null. */
export function noteLine(text) {
  const first = (text || "").split("\n", 1)[0];
  return NOTE_LINE.test(first) ? first : null;
}

function highlightRanges(text) {
  const ranges = [];
  const note = noteLine(text);
  if (note) ranges.push({ start: 0, end: note.length, kind: "note" });
  for (const m of text.matchAll(CITE)) {
    ranges.push({ start: m.index, end: m.index + m[0].length, kind: "cite", n: m[1] });
  }
  for (const f of state.flags) {
    // Only values that are in the text: a removed citation's number would match any digit.
    if (!f.value || !IN_TEXT_FLAGS.has(f.kind)) continue;
    for (let at = text.indexOf(f.value); at >= 0; at = text.indexOf(f.value, at + f.value.length)) {
      ranges.push({ start: at, end: at + f.value.length, kind: "flag" });
    }
  }
  ranges.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept = [];
  for (const r of ranges) if (!kept.length || r.start >= kept[kept.length - 1].end) kept.push(r);
  return kept;
}

export function renderEditor() {
  const area = $("draft");
  const text = area.value;
  const parts = [];
  let at = 0;
  for (const r of highlightRanges(text)) {
    parts.push(text.slice(at, r.start));
    const node = el(r.kind === "flag" ? "mark" : "span", text.slice(r.start, r.end), { class: r.kind });
    if (r.kind === "cite") { node.dataset.n = r.n; node.dataset.start = String(r.start); }
    parts.push(node);
    at = r.end;
  }
  parts.push(text.slice(at) + "\u200b"); // a trailing newline still takes a line
  $("draft-backdrop").replaceChildren(...parts);
  area.style.height = "auto";
  area.style.height = `${area.scrollHeight + 2}px`; // grows with the text: one scrollbar, the page's
  $("note-hint").hidden = !noteLine(text);
}

/** The [n] under the caret: {n, anchor} (anchor: its span in the backdrop), or null. */
export function citeAtCaret() {
  const area = $("draft");
  if (area.selectionStart !== area.selectionEnd) return null;
  const position = area.selectionStart;
  for (const m of area.value.matchAll(CITE)) {
    if (position >= m.index && position <= m.index + m[0].length) {
      const anchor = $("draft-backdrop").querySelector(`.cite[data-start="${m.index}"]`);
      return { n: m[1], anchor };
    }
  }
  return null;
}

/** The [n] span of the backdrop under the pointer (the textarea above it gets the events). */
export function citeAtPoint(x, y) {
  return document.elementsFromPoint(x, y).find((node) => node.classList && node.classList.contains("cite")) || null;
}

/** Remove the note line (and the blank line after it), as an edit of the agent's. */
export function removeNoteLine() {
  const area = $("draft");
  const note = noteLine(area.value);
  if (!note) return;
  area.value = area.value.slice(note.length).replace(/^\n+/, "");
  area.dispatchEvent(new Event("input", { bubbles: true }));
  area.focus();
  area.setSelectionRange(0, 0);
}
