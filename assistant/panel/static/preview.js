// The [n] preview: a popover anchored to the [n] of the draft, kept inside the viewport, with the
// cited sentence; the whole passage (cited sentence marked), its date and "pourquoi" one click away.

import { $, el, frenchDate, sourceLink } from "./dom.js";
import { isOld } from "./freshness.js";
import { passageBody, whyDetails } from "./citations.js";
import { state } from "./state.js";
import { sourceClosed, sourceOpened } from "./timings.js";

const GAP = 6; // between the [n] and the popover
const MARGIN = 8; // between the popover and the viewport's edges
let anchor = null;

export function showPreview(n, at) {
  const box = $("cite-preview");
  anchor = at || $("draft-backdrop").querySelector(`.cite[data-n="${CSS.escape(String(n))}"]`);
  if (!box.hidden && box.dataset.n === n) { placePreview(); return; }
  closePreview();
  box.dataset.n = n;
  box.replaceChildren(...previewContent(n));
  box.hidden = false;
  placePreview();
  sourceOpened("preview");
}

function previewContent(n) {
  const close = el("button", "Fermer", { type: "button", class: "link close", "aria-label": "Fermer l'aperçu de la source" });
  close.addEventListener("click", () => { closePreview(); $("draft").focus(); });
  const p = state.passages.get(n);
  if (!p) return [el("p", `Source [${n}] introuvable parmi les passages proposés.`), close];
  const head = el("p", null, { class: "preview-head" });
  head.append(el("strong", `[${n}] ${p.title}`), ` — ${frenchDate(p.updated)}`);
  if (isOld(p)) head.append(" ", el("span", "ancienne source — à vérifier", { class: "stale-source" }));
  const quote = el("blockquote", null, { class: "preview-quote" });
  quote.append(p.cited_sentence ? el("mark", p.cited_sentence) : el("span", (p.text || "").slice(0, 400)));
  const full = el("div", null, { id: "cite-preview-full", class: "preview-full" });
  full.hidden = true;
  full.append(passageBody(p), whyDetails(p));
  const more = el("button", "Voir le passage entier",
    { type: "button", class: "link", "aria-expanded": "false", "aria-controls": "cite-preview-full" });
  more.addEventListener("click", () => {
    const open = full.hidden;
    full.hidden = !open;
    quote.hidden = open;
    more.setAttribute("aria-expanded", String(open));
    more.textContent = open ? "Voir la phrase citée seule" : "Voir le passage entier";
    placePreview();
  });
  const actions = el("p", null, { class: "preview-actions" });
  actions.append(more, " ", sourceLink(p.url), " ", close);
  return [head, quote, full, actions];
}

/**
 * Below the [n] when it fits in the viewport, else above it, else on the roomier side with a
 * scrollbar; never outside the viewport horizontally. Coordinates are relative to the editor, so
 * the popover scrolls with the text it belongs to.
 */
export function placePreview() {
  const box = $("cite-preview");
  if (box.hidden || !anchor || !anchor.isConnected) return;
  const vw = document.documentElement.clientWidth;
  const vh = window.innerHeight;
  box.style.maxHeight = "";
  let a = anchor.getBoundingClientRect();
  if (a.top < MARGIN || a.bottom > vh - MARGIN) { // the [n] is off-screen (caret moved by keys)
    window.scrollBy(0, a.top - vh / 3);
    a = anchor.getBoundingClientRect();
  }
  const origin = box.offsetParent.getBoundingClientRect();
  const width = box.offsetWidth;
  const left = Math.max(MARGIN, Math.min(a.left - 12, vw - MARGIN - width));
  const below = vh - MARGIN - (a.bottom + GAP);
  const above = a.top - GAP - MARGIN;
  let height = box.offsetHeight;
  let top;
  if (height <= below || below >= above) {
    if (height > below) { box.style.maxHeight = `${below}px`; height = below; }
    top = a.bottom + GAP;
  } else {
    if (height > above) { box.style.maxHeight = `${above}px`; height = above; }
    top = a.top - GAP - height;
  }
  box.style.left = `${left - origin.left}px`;
  box.style.top = `${top - origin.top}px`;
}

export function closePreview() {
  const box = $("cite-preview");
  if (box.hidden) return;
  box.hidden = true;
  sourceClosed("preview", box.dataset.n);
  delete box.dataset.n;
}
