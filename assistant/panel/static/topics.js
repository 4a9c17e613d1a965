// The « Thème » select: the taxonomy of GET /api/v1/topics (loaded once, after login). Left on
// « Automatique », the server infers the topic from the question and the sources found.

import { API, authHeaders, session } from "./api.js";
import { $, el } from "./dom.js";

let loaded = false;

async function loadTopics() {
  const select = $("topic");
  if (loaded || !select || !session.token) return;
  loaded = true;
  try {
    const response = await fetch(`${API}/topics`, { headers: authHeaders() });
    if (!response.ok) { loaded = false; return; }
    const { topics } = await response.json();
    for (const topic of topics) select.append(el("option", topic.label, { value: topic.id }));
  } catch {
    loaded = false; // offline: retried on the next focus
  }
}

export function initTopics() {
  $("topic").addEventListener("focus", loadTopics);
  $("topic").addEventListener("pointerdown", loadTopics);
  loadTopics();
}
