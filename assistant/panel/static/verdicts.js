// 👍 / 👎: one verdict selected at a time (aria-pressed), 👎 with reasons, comment, expected answer.

import { $ } from "./dom.js";
import { record } from "./api.js";
import { state } from "./state.js";
import { say } from "./status.js";
import { timings } from "./timings.js";

export function hideForms() {
  $("discard-form").hidden = true;
  $("down-form").hidden = true;
}

export function showVerdict(value) {
  state.verdict = value;
  $("thumb-up").setAttribute("aria-pressed", String(value === "up"));
  $("thumb-down").setAttribute("aria-pressed", String(value === "down"));
}

const canJudge = () => state.draftId && state.arm !== "control";

export function thumbUp() {
  if (!canJudge()) return;
  hideForms();
  if (state.verdict === "up") { say("Avis « Utile » déjà enregistré."); return; }
  record("verdict", { value: "up", timings: timings() });
  showVerdict("up");
  say("Merci pour votre avis : « Utile » enregistré.");
}

export function openDown() {
  if (!canJudge()) return;
  hideForms();
  $("down-form").hidden = false;
  $("down-form").querySelector("input[type=checkbox]").focus();
}

function submitDown(event) {
  event.preventDefault();
  const form = $("down-form");
  const reasons = [...form.querySelectorAll("input[name=reason]:checked")].map((c) => c.value);
  if (!reasons.length) {
    $("down-error").textContent = "Cochez au moins une raison.";
    $("down-error").hidden = false;
    return;
  }
  $("down-error").hidden = true;
  const extra = { value: "down", reasons, timings: timings() };
  const comment = $("down-comment").value.trim();
  const expected = $("down-expected").value.trim();
  if (comment) extra.comment = comment;
  if (expected) extra.expected_answer = expected;
  record("verdict", extra);
  form.reset();
  hideForms();
  showVerdict("down");
  say("Merci pour votre avis : « Pas utile » enregistré, il servira à améliorer les réponses.");
  $("thumb-down").focus();
}

export function initVerdicts() {
  $("thumb-up").addEventListener("click", thumbUp);
  $("thumb-down").addEventListener("click", openDown);
  $("down-form").addEventListener("submit", submitDown);
  $("down-form").addEventListener("change", () => {
    if ($("down-form").querySelector("input[name=reason]:checked")) $("down-error").hidden = true;
  });
}
