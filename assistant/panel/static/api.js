// The API client: the session token, French error messages, and the event queue — events are kept
// in localStorage and retried until the server acknowledges them (201 stored, 200 already stored).
// The panel never names the agent: the server takes the agent from the token.

import { $, downloadBlob } from "./dom.js";
import { state } from "./state.js";

export const API = "/api/v1";
const QUEUE_KEY = "hra.panel.queue";
const TOKEN_KEY = "hra.panel.token";
const OLD_AGENT_KEY = "hra.panel.agent_id"; // before identity came from the token: only removed
const DROP_STATUSES = new Set([404, 409, 422]);

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY) || ""; },
  save(token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.removeItem(OLD_AGENT_KEY);
  },
  clear() { sessionStorage.removeItem(TOKEN_KEY); },
};

export function authHeaders() {
  return { "Authorization": `Bearer ${session.token}`, "Content-Type": "application/json" };
}

export async function errorMessage(response) {
  let body = {};
  try { body = await response.json(); } catch { /* not JSON */ }
  const detail = body && typeof body.detail === "string" ? body.detail : "";
  const s = response.status;
  if (s === 401) return `Jeton refusé (401) : vérifiez votre jeton agent. ${detail}`;
  if (s === 403) return `Accès refusé (403) : ce jeton n'a pas le rôle agent. ${detail}`;
  if (s === 409) return `Action impossible (409) : ${detail}`;
  if (s === 422) return `Demande invalide (422) : ${detail || "vérifiez les champs."}`;
  if (s >= 500) return `Le service est indisponible (${s}) : ${detail || "réessayez dans un instant."}`;
  return `Erreur ${s} : ${detail}`;
}

export function readQueue() {
  try { return JSON.parse(localStorage.getItem(QUEUE_KEY) || "[]"); } catch { return []; }
}

export function writeQueue(queue) {
  localStorage.setItem(QUEUE_KEY, JSON.stringify(queue));
  const n = queue.length;
  $("queue-status").textContent = n ? `${n} événement(s) en attente d'envoi` : "";
}

function removeFromQueue(eventId) {
  writeQueue(readQueue().filter((e) => e.event_id !== eventId));
}

let flushing = false;

export async function flush() {
  if (flushing || !session.token) return;
  flushing = true;
  try {
    for (const queued of readQueue()) {
      // Events queued by an older panel carried agent_id, which the server now refuses (422).
      const { agent_id: _dropped, ...event } = queued;
      let response;
      try {
        response = await fetch(`${API}/feedback/events`, {
          method: "POST", headers: authHeaders(), body: JSON.stringify(event),
        });
      } catch {
        return; // offline: retried by the timer or on "online"
      }
      if (response.status === 200 || response.status === 201) {
        removeFromQueue(event.event_id);
      } else if (DROP_STATUSES.has(response.status)) {
        let body = null;
        try { body = await response.json(); } catch { /* ignore */ }
        console.error("Événement refusé et abandonné", response.status, event, body);
        removeFromQueue(event.event_id);
      } else {
        return; // 401/403/5xx: keep it, try later
      }
    }
  } finally {
    flushing = false;
    writeQueue(readQueue());
  }
}

/** Queue one event about the current draft, then try to send it. */
export function record(type, extra = {}) {
  if (!state.draftId) return;
  const event = {
    event_id: crypto.randomUUID(),
    draft_id: state.draftId,
    type,
    occurred_at: new Date().toISOString(),
    ...extra,
  };
  writeQueue([...readQueue(), event]);
  flush();
}

/** GET (or POST) an API path with the session's token and save the answer as a file. */
export async function downloadFrom(url, filename, init = {}) {
  const r = await fetch(url, { ...init, headers: { ...authHeaders(), ...(init.headers || {}) } });
  if (!r.ok) throw Object.assign(new Error(await errorMessage(r)), { status: r.status });
  downloadBlob(await r.blob(), filename);
  return r;
}
