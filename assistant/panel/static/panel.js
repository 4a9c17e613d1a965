// Side panel: ask, stream a cited draft, edit it, record what the agent did.
// Server data is only ever written with textContent / value: never innerHTML.

const API = "/api/v1";
const AI_MENTION = "Réponse préparée avec l'aide d'un outil d'IA";
const QUEUE_KEY = "hra.panel.queue";
const TOKEN_KEY = "hra.panel.token";
const AGENT_KEY = "hra.panel.agent_id";
const DROP_STATUSES = new Set([404, 409, 422]);

const $ = (id) => document.getElementById(id);

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  return node;
}

// ---------------------------------------------------------------- session

const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY) || ""; },
  get agentId() { return sessionStorage.getItem(AGENT_KEY) || ""; },
  save(token, agentId) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(AGENT_KEY, agentId);
  },
  clear() { sessionStorage.removeItem(TOKEN_KEY); },
};

function authHeaders() {
  return { "Authorization": `Bearer ${session.token}`, "Content-Type": "application/json" };
}

async function errorMessage(response) {
  let body = {};
  try { body = await response.json(); } catch { /* not JSON */ }
  const detail = body && typeof body.detail === "string" ? body.detail : "";
  const s = response.status;
  if (s === 401) return `Jeton refusé (401) : vérifiez votre jeton agent. ${detail}`;
  if (s === 403) return `Accès refusé (403) : ce jeton n'a pas le rôle agent. ${detail}`;
  if (s === 422) return `Demande invalide (422) : ${detail || "vérifiez les champs."}`;
  if (s >= 500) return `Le service est indisponible (${s}) : ${detail || "réessayez dans un instant."}`;
  return `Erreur ${s} : ${detail}`;
}

function showLogin(message = "") {
  $("login").hidden = false;
  $("workspace").hidden = true;
  $("token").value = "";
  $("agent-id").value = session.agentId;
  $("login-status").textContent = message;
}

function showWorkspace() {
  $("login").hidden = true;
  $("workspace").hidden = false;
  $("question").focus();
}

async function login(event) {
  event.preventDefault();
  const token = $("token").value.trim();
  const agentId = $("agent-id").value.trim();
  if (!token || !agentId) return;
  session.save(token, agentId);
  $("login-status").textContent = "Vérification du jeton…";
  try {
    // An unknown draft id: 404 means the token is accepted for the agent routes.
    const r = await fetch(`${API}/drafts/00000000-0000-0000-0000-000000000000`, { headers: authHeaders() });
    if (r.status === 404 || r.ok) {
      $("login-status").textContent = "";
      showWorkspace();
      flush();
    } else {
      const message = await errorMessage(r);
      session.clear();
      showLogin(message);
    }
  } catch {
    session.clear();
    showLogin("Serveur injoignable : vérifiez votre connexion.");
  }
}

// ---------------------------------------------------------------- event queue

function readQueue() {
  try { return JSON.parse(localStorage.getItem(QUEUE_KEY) || "[]"); } catch { return []; }
}

function writeQueue(queue) {
  localStorage.setItem(QUEUE_KEY, JSON.stringify(queue));
  const n = queue.length;
  $("queue-status").textContent = n ? `${n} événement(s) en attente d'envoi` : "";
}

function removeFromQueue(eventId) {
  writeQueue(readQueue().filter((e) => e.event_id !== eventId));
}

let flushing = false;

async function flush() {
  if (flushing || !session.token) return;
  flushing = true;
  try {
    for (const event of readQueue()) {
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

function record(type, extra = {}) {
  if (!state.draftId) return;
  const event = {
    event_id: crypto.randomUUID(),
    draft_id: state.draftId,
    agent_id: session.agentId,
    type,
    occurred_at: new Date().toISOString(),
    ...extra,
  };
  writeQueue([...readQueue(), event]);
  flush();
}

// ---------------------------------------------------------------- draft state and timings

const state = {
  draftId: null, decision: null, shownAt: null, firstEditAt: null, lastInputAt: null,
  activeEditMs: 0, sourcesOpenMs: 0, openSince: new Map(), streaming: false, done: false,
};

function resetState() {
  Object.assign(state, {
    draftId: null, decision: null, shownAt: null, firstEditAt: null, lastInputAt: null,
    activeEditMs: 0, sourcesOpenMs: 0, openSince: new Map(), done: false,
  });
}

function sourcesOpenMs() {
  const now = performance.now();
  let total = state.sourcesOpenMs;
  for (const since of state.openSince.values()) total += now - since;
  return Math.round(total);
}

function timings() {
  const now = performance.now();
  const shown = state.shownAt ?? now;
  return {
    ms_to_first_edit: state.firstEditAt === null ? null : Math.round(state.firstEditAt - shown),
    active_edit_ms: Math.round(state.activeEditMs),
    sources_open_ms: sourcesOpenMs(),
    ms_to_send: Math.round(now - shown),
  };
}

function onDraftInput() {
  if (state.shownAt === null) return;
  const now = performance.now();
  if (state.firstEditAt === null) {
    state.firstEditAt = now;
    record("edit_started", { timings: { ms_to_first_edit: Math.round(now - state.shownAt) } });
  } else {
    state.activeEditMs += Math.min(now - state.lastInputAt, 5000); // pauses over 5 s are not editing
  }
  state.lastInputAt = now;
}

// ---------------------------------------------------------------- rendering

function setStatus(text, busy = false) {
  $("status").textContent = text;
  $("status").classList.toggle("busy", busy);
  $("result").setAttribute("aria-busy", busy ? "true" : "false");
}

function showError(text) {
  $("error").textContent = text;
  $("error").hidden = !text;
}

function passageBody(p) {
  const body = el("div", null, { class: "passage" });
  const text = p.text || "";
  const sentence = p.cited_sentence || "";
  const at = sentence ? text.indexOf(sentence) : -1;
  if (at >= 0) {
    body.append(text.slice(0, at), el("mark", sentence), text.slice(at + sentence.length));
  } else {
    if (sentence) body.append(el("mark", sentence), text ? "\n\n" : "");
    body.append(text);
  }
  return body;
}

function whyDetails(p) {
  const details = el("details", null, { class: "why" });
  details.append(el("summary", "Pourquoi ce passage"));
  const dl = el("dl");
  const fmt = (obj, digits) => Object.entries(obj || {})
    .map(([k, v]) => `${k} : ${digits ? Number(v).toFixed(digits) : v}`).join(" · ") || "—";
  for (const [label, value] of [
    ["Scores", fmt(p.scores, 3)],
    ["Rangs (passage)", fmt(p.ranks)],
    ["Rangs (document)", fmt(p.doc_ranks)],
    ["Termes trouvés", (p.matched_terms || []).join(", ") || "—"],
    ["Section", (p.heading_path || []).join(" › ") || "—"],
  ]) dl.append(el("dt", label), el("dd", value));
  details.append(dl);
  return details;
}

function setOpen(item, open) {
  const button = item.querySelector("button.toggle");
  const panel = item.querySelector(".passage-panel");
  if (open === !panel.hidden) return;
  panel.hidden = !open;
  button.setAttribute("aria-expanded", String(open));
  const n = item.dataset.n;
  if (open) state.openSince.set(n, performance.now());
  else if (state.openSince.has(n)) {
    state.sourcesOpenMs += performance.now() - state.openSince.get(n);
    state.openSince.delete(n);
  }
}

function renderCitations(passages) {
  const list = $("citations");
  list.replaceChildren();
  if (!passages.length) { list.append(el("li", "Aucune source trouvée.")); return; }
  for (const p of passages) {
    const item = el("li", null, { "data-n": String(p.n) });
    const panelId = `passage-${p.n}`;
    const button = el("button", `[${p.n}] ${p.title} — ${p.updated || "date inconnue"}`,
      { type: "button", class: "toggle", "aria-expanded": "false", "aria-controls": panelId });
    let focusedAt = 0;
    button.addEventListener("focus", () => { focusedAt = performance.now(); setOpen(item, true); });
    button.addEventListener("click", () => {
      if (performance.now() - focusedAt < 400) return; // the focus that came with this click opened it
      setOpen(item, item.querySelector(".passage-panel").hidden);
    });
    const link = el("a", "Ouvrir la source", { rel: "noopener", target: "_blank" });
    link.href = /^https?:\/\//i.test(p.url || "") ? p.url : "#";
    const panel = el("div", null, { id: panelId, class: "passage-panel" });
    panel.hidden = true;
    panel.append(passageBody(p), whyDetails(p));
    item.append(button, " ", link, panel);
    list.append(item);
  }
}

function renderFlags(flags) {
  $("flags").replaceChildren(...(flags || []).map((f) => {
    const li = el("li");
    li.append(el("strong", f.kind), ` : ${f.message}`);
    return li;
  }));
}

function renderDecision(kind, reason) {
  const box = $("decision");
  if (kind === "drafted") { box.hidden = true; box.replaceChildren(); return; }
  const title = kind === "routed_to_human"
    ? "À traiter par une personne : pas de brouillon proposé."
    : "Pas de brouillon : les sources ne suffisent pas.";
  box.replaceChildren(el("strong", title), el("span", reason || ""));
  box.hidden = false;
  $("draft-block").hidden = true;
}

function setActionsEnabled(enabled) {
  for (const id of ["use", "discard"]) $(id).disabled = !enabled;
}

// ---------------------------------------------------------------- asking (SSE over fetch)

async function ask(event) {
  if (event) event.preventDefault();
  if (state.streaming) return;
  const question = $("question").value;
  if (!question.trim()) { showError("Saisissez la question reçue."); return; }
  const body = { question };
  if ($("category").value) body.category = $("category").value;
  if ($("topic").value.trim()) body.topic = $("topic").value.trim();

  resetState();
  state.streaming = true;
  showError("");
  hideForms();
  $("ask").disabled = true;
  $("result").hidden = false;
  $("question-echo").textContent = question;
  $("decision").hidden = true;
  $("draft-block").hidden = false;
  $("draft").value = "";
  $("draft").readOnly = true;
  renderFlags([]);
  $("citations").replaceChildren();
  setActionsEnabled(false);
  setStatus("Rédaction en cours…", true);
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
      return;
    }
    await readStream(response);
  } catch (err) {
    showError(`Connexion interrompue : ${err && err.message ? err.message : err}. Réessayez.`);
    setStatus("");
  } finally {
    state.streaming = false;
    $("ask").disabled = false;
  }
}

async function readStream(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let finished = false;
  for (;;) {
    const { value, done } = await reader.read();
    buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
    const blocks = buffer.split(/\r?\n\r?\n/);
    buffer = done ? "" : blocks.pop();
    for (const block of blocks) {
      let type = "message";
      const data = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith("event:")) type = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (!data.length) continue;
      if (onStreamEvent(type, JSON.parse(data.join("\n")))) finished = true;
    }
    if (done) break;
  }
  if (!finished) {
    showError("Le flux s'est arrêté avant la fin : réessayez.");
    setStatus("");
  }
}

function onStreamEvent(type, data) {
  if (type === "passages") {
    state.draftId = data.draft_id;
    state.decision = data.decision;
    renderCitations(data.passages || []);
    renderDecision(data.decision, data.reason);
    if (data.decision !== "drafted") setStatus("Analyse terminée…", true);
  } else if (type === "token") {
    $("draft").value += data.text;
  } else if (type === "reset") {
    $("draft").value = "";
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
  const passages = final.citations && final.citations.length ? final.citations : final.passages;
  renderCitations(passages || []);
  renderDecision(final.decision.kind, final.decision.reason);
  if (final.decision.kind === "drafted" && final.text) {
    $("draft").value = final.text;
    $("draft").readOnly = false;
    renderFlags(final.flags);
    setActionsEnabled(true);
    state.shownAt = performance.now();
    record("shown");
    const note = final.fallback_reason ? ` (brouillon hors ligne : ${final.fallback_reason})` : "";
    setStatus(`Brouillon prêt : relisez-le et vérifiez les sources${note}.`);
  } else {
    $("draft").value = "";
    setStatus("Aucun brouillon : voir la raison ci-dessous.");
  }
}

// ---------------------------------------------------------------- actions

function hideForms() {
  $("discard-form").hidden = true;
  $("down-form").hidden = true;
}

function finish(message) {
  state.done = true;
  setActionsEnabled(false);
  setStatus(message);
}

async function useDraft() {
  if (!state.draftId || state.done || state.decision !== "drafted") return;
  const text = $("draft").value;
  if (!text.trim()) { showError("Le brouillon est vide."); return; }
  record("sent", { final_text: text, ai_mention_kept: text.includes(AI_MENTION), timings: timings() });
  finish("Réponse marquée comme utilisée.");
  try {
    await navigator.clipboard.writeText(text);
    setStatus("Réponse copiée dans le presse-papiers : collez-la dans votre message.");
  } catch {
    setStatus("Réponse enregistrée ; copie automatique impossible : copiez le texte vous-même.");
  }
}

function openDiscard() {
  if (!state.draftId || state.done || state.decision !== "drafted") return;
  hideForms();
  $("discard-form").hidden = false;
  $("discard-reason").focus();
}

function submitDiscard(event) {
  event.preventDefault();
  const reason = $("discard-reason").value.trim();
  if (!reason) return;
  record("discarded", { reason, timings: timings() });
  $("discard-form").reset();
  hideForms();
  finish("Brouillon écarté.");
}

function thumbUp() {
  if (!state.draftId) return;
  record("verdict", { value: "up", timings: timings() });
  hideForms();
  setStatus("Merci pour votre avis 👍");
}

function openDown() {
  if (!state.draftId) return;
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
  setStatus("Merci pour votre avis : il servira à améliorer les réponses.");
}

// ---------------------------------------------------------------- wiring

function onKey(event) {
  if (event.ctrlKey && event.key === "Enter" && !$("workspace").hidden) {
    event.preventDefault();
    ask();
    return;
  }
  if (!event.altKey || event.ctrlKey || event.metaKey || $("result").hidden) return;
  const actions = { KeyU: useDraft, KeyE: openDiscard, KeyP: thumbUp, KeyN: openDown };
  const action = actions[event.code];
  if (action) { event.preventDefault(); action(); }
}

function init() {
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", () => { session.clear(); showLogin(); });
  $("ask-form").addEventListener("submit", ask);
  $("draft").addEventListener("input", onDraftInput);
  $("use").addEventListener("click", useDraft);
  $("discard").addEventListener("click", openDiscard);
  $("thumb-up").addEventListener("click", thumbUp);
  $("thumb-down").addEventListener("click", openDown);
  $("discard-form").addEventListener("submit", submitDiscard);
  $("down-form").addEventListener("submit", submitDown);
  for (const b of document.querySelectorAll(".inline-form .cancel")) b.addEventListener("click", hideForms);
  document.addEventListener("keydown", onKey);
  window.addEventListener("online", flush);
  setInterval(flush, 3000);
  writeQueue(readQueue());
  if (session.token && session.agentId) { showWorkspace(); flush(); } else showLogin();
}

init();
