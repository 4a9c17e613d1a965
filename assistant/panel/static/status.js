// Where the panel speaks: the drafting status under the question, errors, and the line beside the
// action buttons for what an action did (the agent's eyes are there, not at the top of the page).

import { $ } from "./dom.js";

export function setStatus(text, busy = false) {
  $("status").textContent = text;
  $("status").classList.toggle("busy", busy);
  $("result").setAttribute("aria-busy", busy ? "true" : "false");
}

export function showError(text) {
  $("error").textContent = text;
  $("error").hidden = !text;
}

/** A message beside the action buttons (role=status, aria-live): `error` styles it as a problem. */
export function say(text, error = false) {
  $("action-status").textContent = text;
  $("action-status").classList.toggle("error-text", error);
  if (text) $("action-status").scrollIntoView({ block: "nearest" }); // seen, even after a shortcut
}
