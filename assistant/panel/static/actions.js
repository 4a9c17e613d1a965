// The draft's actions: Utiliser (copies the text, records it), Régénérer, Écarter (with a reason),
// and after an abstention « Proposer quand même » (a draft despite the low coverage).
// What each one did is said beside the buttons.

import { $ } from "./dom.js";
import { record } from "./api.js";
import { closeAllEntries } from "./citations.js";
import { noteLine } from "./editor.js";
import { closePreview } from "./preview.js";
import { state } from "./state.js";
import { say } from "./status.js";
import { timings } from "./timings.js";
import { hideForms } from "./verdicts.js";

const AI_MENTION = "Réponse préparée avec l'aide d'un outil d'IA";
let askAgain = () => {};

export function setActionsEnabled(enabled) {
  for (const id of ["use", "discard", "regenerate", "force"]) $(id).disabled = !enabled;
}

export function closeAllSources() {
  closeAllEntries();
  closePreview();
}

function finish(message) {
  const times = timings();
  closeAllSources(); // before "done": the last verification time is recorded with this draft
  state.done = true;
  setActionsEnabled(false);
  say(message);
  return times;
}

const canAct = () => state.draftId && !state.done && state.shownAt !== null && !state.streaming;
const assistedDraft = () => canAct() && state.arm !== "control" && state.decision === "drafted";
const writing = () => state.arm === "control" || state.decision !== "drafted"; // no draft: the agent writes

export async function useDraft() {
  if (!canAct()) return;
  const text = $("draft").value;
  if (!text.trim()) {
    say(writing() ? "Rédigez la réponse avant de l'utiliser." : "Le brouillon est vide.", true);
    return;
  }
  const extra = { final_text: text, timings: timings() };
  if (!writing()) extra.ai_mention_kept = text.includes(AI_MENTION);
  record("sent", extra);
  finish("Réponse marquée comme utilisée.");
  const note = noteLine(text) ? " Attention : la première ligne (note « à supprimer avant envoi ») est encore là." : "";
  try {
    await navigator.clipboard.writeText(text);
    say(`Réponse copiée dans le presse-papiers : collez-la dans votre message.${note}`);
  } catch {
    say(`Réponse enregistrée ; copie automatique impossible : copiez le texte vous-même.${note}`);
  }
}

export function regenerate() {
  if (!assistedDraft() || $("regenerate").hidden) return; // hidden on a forced draft
  const previous = { draftId: state.draftId, body: state.question, text: state.draftText };
  record("regenerated", { timings: finish("Nouveau brouillon demandé.") });
  askAgain(previous);
}

/** « Proposer quand même »: after an abstention only (never a routing, never the control arm). */
export function forceDraft() {
  if (!canAct() || state.arm === "control" || state.decision !== "abstained") return;
  const previous = { draftId: state.draftId, body: state.question, text: null, force: true };
  finish("Brouillon demandé malgré une couverture insuffisante.");
  askAgain(previous);
}

export function openDiscard() {
  if (!assistedDraft()) return;
  hideForms();
  $("discard-form").hidden = false;
  $("discard-reason").focus();
}

function submitDiscard(event) {
  event.preventDefault();
  const reason = $("discard-reason").value.trim();
  if (!reason) return;
  const times = finish("Brouillon écarté.");
  record("discarded", { reason, timings: times });
  $("discard-form").reset();
  hideForms();
  $("draft").focus();
}

/** `again(previous)` asks for a new draft replacing `previous` ({draftId, body, text}). */
export function initActions(again) {
  askAgain = again;
  $("use").addEventListener("click", useDraft);
  $("regenerate").addEventListener("click", regenerate);
  $("force").addEventListener("click", forceDraft);
  $("discard").addEventListener("click", openDiscard);
  $("discard-form").addEventListener("submit", submitDiscard);
  for (const b of document.querySelectorAll(".inline-form .cancel")) b.addEventListener("click", hideForms);
}
