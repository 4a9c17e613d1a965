// Side panel, entry module: asking (the streamed draft) and the wiring of the other modules —
// login ("Nouveautés" too), api (session, event queue), stream (SSE), citations and preview (sources),
// editor (the draft's highlights), timings, question / actions / verdicts (forms), shortcuts.
// Server data is only ever written with textContent / value: never innerHTML.

import {
  closeAllSources, forceDraft, initActions, openDiscard, regenerate, setActionsEnabled, useDraft,
} from "./actions.js";
import { API, authHeaders, errorMessage, flush, readQueue, session, writeQueue } from "./api.js";
import { login, showLogin, showWorkspace } from "./login.js";
import { renderSources } from "./citations.js";
import { confidenceLevel, plainReason } from "./confidence.js";
import { $, el } from "./dom.js";
import { citeAtCaret, citeAtPoint, IN_TEXT_FLAGS, removeNoteLine, renderEditor } from "./editor.js";
import { closePreview, placePreview, showPreview } from "./preview.js";
import { collapseQuestion, expandQuestion, initQuestion, questionFromForm } from "./question.js";
import { resetDraftState, state } from "./state.js";
import { say, setStatus, showError } from "./status.js";
import { draftShown, edited, onVisibility } from "./timings.js";
import { hideForms, initVerdicts, openDown, showVerdict, thumbUp } from "./verdicts.js";
import { initShortcuts } from "./shortcuts.js";
import { initTopics } from "./topics.js";
import { readEvents } from "./stream.js";
import { showRetrieval } from "./retrieval.js";

// ---------------------------------------------------------------- rendering a draft

function renderFlags(flags) {
  state.flags = flags || [];
  renderEditor();
  $("flags").replaceChildren(...state.flags.map((f) => {
    const li = el("li");
    if (f.value && IN_TEXT_FLAGS.has(f.kind)) li.append(el("strong", `« ${f.value} »`), " : ");
    li.append(f.message);
    if (f.replacement) li.append(" ", el("span", `→ aujourd'hui : ${f.replacement}`, { class: "replacement" }));
    return li;
  }));
}

/** The confidence level and its reason, on every draft (and on an abstention for lack of sources).
 * A draft asked for despite an abstention (« Proposer quand même ») gets its own banner instead. */
function renderLevel(decision, forced = false) {
  $("forced-note").hidden = !forced;
  const box = $("level");
  const outOfScope = decision && (decision.reason || "").includes(REDIRECT_MARK); // not about the sources
  const level = decision && !forced && !outOfScope && decision.kind !== "routed_to_human" && state.arm !== "control"
    ? confidenceLevel(decision) : null;
  box.hidden = !level;
  if (!level) { box.replaceChildren(); delete box.dataset.level; return; }
  box.dataset.level = { "élevée": "high", "moyenne": "medium", "faible": "low" }[level.level];
  box.replaceChildren("Confiance ", el("strong", level.level), ` — ${level.reason}`);
}

/** « Réponse déjà validée par l'équipe le jj/mm/aaaa », from a verified draft's model
 * (verified:<answer id>:<YYYY-MM-DD>). */
function verifiedLabel(model) {
  const [y, m, d] = ((model || "").split(":")[2] || "").split("-");
  return `Réponse déjà validée par l'équipe le ${d}/${m}/${y}`;
}

// decide.py's out-of-scope reason: « <where to redirect> Aucun brouillon proposé : répondez en orientant… »
const REDIRECT_MARK = " Aucun brouillon proposé : répondez en orientant";
const TODO_MARK = "Que faire :";

/** Why there is no draft. A routing shows its « Que faire : … » in full, on its own line; an
 * out-of-scope question shows where to redirect it first. The reply box stays below either way. */
function renderDecision(kind, reason, arm) {
  const box = $("decision");
  delete box.dataset.kind;
  if (kind === "drafted") { box.hidden = true; box.replaceChildren(); return; }
  const text = plainReason(reason);
  const parts = [];
  if (kind === "routed_to_human") {
    const at = text.indexOf(TODO_MARK);
    parts.push(el("strong", "À traiter par une personne : situation sensible, pas de brouillon proposé."));
    parts.push(el("p", at >= 0 ? text.slice(0, at).trim() : text));
    if (at >= 0) {
      const todo = el("p", null, { class: "todo" });
      todo.append(el("strong", TODO_MARK), ` ${text.slice(at + TODO_MARK.length).trim()}`);
      parts.push(todo);
    }
    box.dataset.kind = "routed";
  } else if (text.includes(REDIRECT_MARK)) {
    const at = text.indexOf(REDIRECT_MARK);
    parts.push(el("strong", "Hors du champ RH : orientez la personne."));
    parts.push(el("p", text.slice(0, at).trim(), { class: "redirect" }));
    parts.push(el("p", text.slice(at).trim()));
    box.dataset.kind = "out-of-scope";
  } else {
    parts.push(el("strong", "Pas de brouillon : les sources ne suffisent pas."));
    parts.push(el("p", text));
  }
  if (arm !== "control") {
    parts.push(el("p", kind === "abstained" && arm === "assisted"
      ? "Rédigez votre réponse ci-dessous, ou demandez un brouillon malgré tout."
      : "Rédigez votre réponse ci-dessous.", { class: "reply-hint" }));
  }
  box.replaceChildren(...parts);
  box.hidden = false;
}

// The control arm, an abstention, a routing: the same page without a draft; the agent writes the
// reply in the same box, the same timings are taken. Only an abstention offers « Proposer quand même ».
function renderArm(arm, kind = null) {
  const control = arm === "control";
  const writing = control || (kind !== null && kind !== "drafted");
  $("arm-note").hidden = !control;
  $("draft-label").textContent = writing ? "Votre réponse (à rédiger)" : "Brouillon (modifiable)";
  $("draft").placeholder = writing ? "Rédigez votre réponse ici…" : "";
  $("draft-help").hidden = writing;
  for (const id of ["regenerate", "discard"]) $(id).hidden = writing;
  $("verdict-actions").hidden = control;
  $("force").hidden = control || kind !== "abstained";
}

// ---------------------------------------------------------------- asking (SSE over fetch)

async function ask(event, regenerating = null) {
  if (event) event.preventDefault();
  if (state.streaming) return;
  const link = regenerating && regenerating.force ? "force_draft_of" : "regenerate_of";
  const body = regenerating ? { ...regenerating.body, [link]: regenerating.draftId } : questionFromForm();
  if (!body.question.trim()) { showError("Saisissez la question reçue."); expandQuestion(); return; }

  closeAllSources();
  resetDraftState();
  state.question = body;
  state.replacing = regenerating; // { draftId, body, text, force } of the draft being replaced, or null
  state.streaming = true;
  showError("");
  hideForms();
  showVerdict(null);
  say("");
  collapseQuestion();
  $("ask").disabled = true;
  $("result").hidden = false;
  $("decision").hidden = true;
  $("level").hidden = true;
  $("draft-block").hidden = false;
  $("draft").value = "";
  $("draft").readOnly = true;
  renderArm(null);
  renderLevel(null);
  showRetrieval([]);
  renderFlags([]);
  $("citations").replaceChildren();
  setActionsEnabled(false);
  const forcing = regenerating && regenerating.force;
  setStatus(forcing ? "Brouillon demandé malgré tout : rédaction en cours…"
    : regenerating ? "Nouveau brouillon en cours…" : "Rédaction en cours…", true);
  try {
    const response = await fetch(`${API}/drafts/stream`, {
      method: "POST", headers: authHeaders(), body: JSON.stringify(body),
    });
    if (!response.ok) {
      const message = await errorMessage(response);
      if (response.status === 401) { session.clear(); showLogin(message); }
      showError(message);
      setStatus("");
      $("result").hidden = true;
      expandQuestion(false);
      return;
    }
    if (!await readEvents(response, onStreamEvent)) {
      showError("Le flux s'est arrêté avant la fin : réessayez.");
      setStatus("");
    }
  } catch (err) {
    showError(`Connexion interrompue : ${err && err.message ? err.message : err}. Réessayez.`);
    setStatus("");
  } finally {
    state.streaming = false;
    $("ask").disabled = false;
  }
}

function onStreamEvent(type, data) {
  if (type === "passages") {
    state.draftId = data.draft_id;
    state.decision = data.decision;
    state.arm = data.arm;
    renderArm(data.arm, data.decision);
    renderSources(data.passages || []);
    showRetrieval(data.dense_unavailable);
    renderDecision(data.decision, data.reason, data.arm);
    if (data.decision !== "drafted" || data.arm === "control") setStatus("Analyse terminée…", true);
  } else if (type === "token") {
    $("draft").value += data.text;
    renderEditor();
  } else if (type === "reset") {
    $("draft").value = "";
    renderEditor();
    setStatus(`Rédaction reprise hors ligne : ${data.reason}`, true);
  } else if (type === "final") {
    onFinal(data);
    return true;
  }
  return false;
}

function onFinal(final) {
  state.draftId = final.draft_id;
  state.decision = final.decision.kind;
  state.arm = final.arm;
  renderArm(final.arm, final.decision.kind);
  const cited = final.citations && final.citations.length ? final.citations : final.passages || [];
  renderSources(cited, final.passages || cited);
  showRetrieval(final.dense_unavailable);
  renderDecision(final.decision.kind, final.decision.reason, final.arm);
  renderLevel(final.decision, Boolean(final.forced));
  if (final.forced) $("regenerate").hidden = true; // it would only abstain again
  if (final.arm === "control") {
    $("draft").value = "";
    $("draft").readOnly = false;
    renderFlags([]);
    setActionsEnabled(true);
    draftShown();
    setStatus("Sources prêtes : rédigez votre réponse, puis « Utiliser ».");
  } else if (final.decision.kind === "drafted" && final.text) {
    $("draft").value = final.text;
    $("draft").readOnly = false;
    renderFlags(final.flags);
    setActionsEnabled(true);
    draftShown();
    const note = final.fallback_reason ? ` (brouillon hors ligne : ${final.fallback_reason})` : "";
    state.draftText = final.text;
    const again = state.replacing && final.text === state.replacing.text
      ? " Même texte qu'avant : les sources n'ont pas changé." : "";
    const verified = final.drafter === "verified" ? `${verifiedLabel(final.model)}. ` : "";
    setStatus(`${verified}Brouillon prêt : relisez-le et vérifiez les sources${note}.${again}`);
  } else { // abstained or routed: the agent keeps control and writes the reply here
    $("draft").value = "";
    $("draft").readOnly = false;
    renderFlags([]);
    setActionsEnabled(true);
    draftShown();
    setStatus("Aucun brouillon : voir la raison ci-dessous, puis rédigez votre réponse.");
  }
}

// ---------------------------------------------------------------- the draft's [n]

function onDraftInput() {
  renderEditor();
  closePreview();
  edited();
}

function onDraftCaret() {
  const cite = citeAtCaret();
  if (cite) showPreview(cite.n, cite.anchor);
  else closePreview();
}

function onDraftHover(event) {
  const cite = citeAtPoint(event.clientX, event.clientY);
  $("draft").classList.toggle("over-cite", Boolean(cite));
  if (cite && cite.dataset.n !== $("cite-preview").dataset.n) showPreview(cite.dataset.n, cite);
}

/** Escape closes the open form (back to the draft) or the preview; true when it did something. */
function onEscape(event) {
  if (event.target.closest && event.target.closest(".inline-form")) {
    hideForms();
    $("draft").focus();
    return true;
  }
  if (!$("cite-preview").hidden) {
    const inPreview = event.target.closest && event.target.closest("#cite-preview");
    closePreview();
    if (inPreview) $("draft").focus();
    return true;
  }
  return false;
}

// ---------------------------------------------------------------- wiring

function init() {
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", () => { session.clear(); showLogin(); });
  $("ask-form").addEventListener("submit", ask);
  initQuestion();
  initTopics();
  $("draft").addEventListener("input", onDraftInput);
  $("draft").addEventListener("click", onDraftCaret);
  $("draft").addEventListener("keyup", (e) => { if (e.key.startsWith("Arrow")) onDraftCaret(); });
  $("draft").addEventListener("mousemove", onDraftHover);
  $("remove-note").addEventListener("click", removeNoteLine);
  document.addEventListener("pointerdown", (e) => { // a click outside the preview closes it
    if (!$("cite-preview").hidden && !e.target.closest("#cite-preview, #draft")) closePreview();
  });
  window.addEventListener("resize", placePreview);
  const menus = [...document.querySelectorAll("details.menu")]; // Raccourcis, Nouveautés: one at a time
  for (const menu of menus) {
    menu.addEventListener("toggle", () => { if (menu.open) for (const m of menus) if (m !== menu) m.open = false; });
  }
  document.addEventListener("pointerdown", (e) => { // and a click elsewhere closes them
    for (const m of menus) if (m.open && !m.contains(e.target)) m.open = false;
  });
  initActions((previous) => ask(null, previous));
  initVerdicts();
  initShortcuts(
    {
      U: useDraft, R: regenerate, X: openDiscard, P: thumbUp, N: openDown, M: () => expandQuestion(), Q: forceDraft,
    },
    { ask: () => ask(), escape: onEscape },
  );
  window.addEventListener("online", flush);
  document.addEventListener("visibilitychange", onVisibility);
  setInterval(flush, 3000);
  writeQueue(readQueue());
  if (session.token) { showWorkspace(); flush(); } else showLogin();
}

init();
