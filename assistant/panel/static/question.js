// The question form: full while the agent writes the question, one line once it is asked (the draft
// comes first on a 420 px column), « Modifier » or typing in it opens it again.

import { $ } from "./dom.js";

export function questionFromForm() {
  const body = { question: $("question").value };
  if ($("category").value) body.category = $("category").value;
  if ($("topic").value.trim()) body.topic = $("topic").value.trim();
  return body;
}

const isCollapsed = () => $("ask-form").classList.contains("collapsed");

export function collapseQuestion() {
  $("ask-form").classList.add("collapsed");
  $("question").rows = 1;
  $("question").scrollTop = 0;
  $("edit-question").hidden = false;
}

export function expandQuestion(focus = true) {
  if (!isCollapsed()) return;
  $("ask-form").classList.remove("collapsed");
  $("question").rows = 4;
  $("edit-question").hidden = true;
  if (focus) $("question").focus();
}

export function initQuestion() {
  $("edit-question").addEventListener("click", () => expandQuestion());
  // Clicking or typing in the one-line question opens the form too.
  $("question").addEventListener("mousedown", () => expandQuestion(false));
  $("question").addEventListener("input", () => expandQuestion(false));
}
