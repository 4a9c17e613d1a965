// Side panel: ask, stream a cited draft, edit it, record what the agent did.
// Server data is only ever written with textContent / value: never innerHTML.

const API = "/api/v1";
const AI_MENTION = "Réponse préparée avec l'aide d'un outil d'IA";
const QUEUE_KEY = "hra.panel.queue";
const TOKEN_KEY = "hra.panel.token";
const AGENT_KEY = "hra.panel.agent_id";
const NEWS_SEEN_KEY = "hra.panel.news_seen";
const DROP_STATUSES = new Set([404, 409, 422]);
const IDLE_MS = 30000; // a pause longer than this is not editing time
const CITE = /\[(\d{1,2})\]/g;
const IN_TEXT_FLAGS = new Set(["url", "phone", "amount", "duration", "article"]);

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
  if (s === 409) return `Action impossible (409) : ${detail}`;
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
  loadNews();
}

// ---------------------------------------------------------------- "Nouveautés"

async function loadNews() {
  let entries;
  try {
    const r = await fetch(`${API}/changelog`, { headers: authHeaders() });
    if (!r.ok) return;
    entries = await r.json();
  } catch { return; }
  if (!Array.isArray(entries) || !entries.length) return;
  $("news-list").replaceChildren(...entries.map((e) => {
    const article = el("article");
    article.append(el("h2", e.date ? `${e.date} — ${e.title}` : e.title));
    if (e.items && e.items.length) article.append(el("ul", null));
    for (const item of e.items || []) article.lastChild.append(el("li", item));
    return article;
  }));
  const newest = entries[0].placeholder ? "" : entries[0].date || "";
  $("news-badge").hidden = !newest || newest <= (localStorage.getItem(NEWS_SEEN_KEY) || "");
  $("news").hidden = false;
  $("news").ontoggle = () => {
    if ($("news").open && newest) { localStorage.setItem(NEWS_SEEN_KEY, newest); $("news-badge").hidden = true; }
  };
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
  draftId: null, decision: null, arm: null, shownAt: null, firstEditAt: null, lastInputAt: null,
  activeEditMs: 0, sourcesOpenMs: 0, openSince: new Map(), anyOpenSince: 0, streaming: false, done: false,
  passages: new Map(), flags: [], question: null, draftText: null, replacing: null, hiddenAt: null,
};

function resetState() {
  closeAllSources();
  Object.assign(state, {
    draftId: null, decision: null, arm: null, shownAt: null, firstEditAt: null, lastInputAt: null,
    activeEditMs: 0, sourcesOpenMs: 0, openSince: new Map(), done: false, passages: new Map(), flags: [],
    draftText: null, replacing: null,
  });
}

// Time with at least one passage open: the union of the open intervals, so a passage open in the
// list while the preview shows another is not counted twice.
function sourcesOpenMs() {
  const running = state.openSince.size ? performance.now() - state.anyOpenSince : 0;
  return Math.round(state.sourcesOpenMs + running);
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
  renderEditor();
  closePreview();
  if (state.shownAt === null) return;
  const now = performance.now();
  if (state.firstEditAt === null) {
    state.firstEditAt = now;
    record("edit_started", { timings: { ms_to_first_edit: Math.round(now - state.shownAt) } });
  } else {
    const gap = now - state.lastInputAt;
    if (gap <= IDLE_MS) state.activeEditMs += gap; // a longer pause is idle time, not editing
  }
  state.lastInputAt = now;
}

// A source counts as "open" (verification time) from opening to closing; each closing is an event.
function sourceOpened(key) {
  if (state.openSince.has(key)) return;
  const now = performance.now();
  if (!state.openSince.size) state.anyOpenSince = now;
  state.openSince.set(key, now);
}

function sourceClosed(key, n) {
  if (!state.openSince.has(key)) return;
  const now = performance.now();
  const duration = now - state.openSince.get(key);
  state.openSince.delete(key);
  if (!state.openSince.size) state.sourcesOpenMs += now - state.anyOpenSince;
  if (duration >= 300 && state.draftId) {
    record("sources_opened", { passage: Number(n) || null, duration_ms: Math.round(duration) });
  }
}

// While the page is hidden (another tab in front) nobody is reading a passage: the open intervals
// are shifted by the hidden time, so it is not counted as verification time.
function onVisibility() {
  const now = performance.now();
  if (document.hidden) { state.hiddenAt = now; return; }
  if (state.hiddenAt === null) return;
  const away = now - state.hiddenAt;
  state.hiddenAt = null;
  if (state.openSince.size) state.anyOpenSince += away;
  for (const [key, since] of state.openSince) state.openSince.set(key, since + away);
}

function closeAllSources() {
  for (const item of document.querySelectorAll("#citations > li[data-n]")) setOpen(item, false);
  closePreview();
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
  if (open) sourceOpened(`list-${n}`);
  else sourceClosed(`list-${n}`, n);
}

// ---------------------------------------------------------------- the editor: [n] links and flags

function highlightRanges(text) {
  const ranges = [];
  for (const m of text.matchAll(CITE)) {
    ranges.push({ start: m.index, end: m.index + m[0].length, kind: "cite", n: m[1] });
  }
  for (const f of state.flags) {
    // Only values that are in the text: a removed citation's number would match any digit.
    if (!f.value || !IN_TEXT_FLAGS.has(f.kind)) continue;
    for (let at = text.indexOf(f.value); at >= 0; at = text.indexOf(f.value, at + f.value.length)) {
      ranges.push({ start: at, end: at + f.value.length, kind: "flag", message: f.message });
    }
  }
  ranges.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept = [];
  for (const r of ranges) if (!kept.length || r.start >= kept[kept.length - 1].end) kept.push(r);
  return kept;
}

// The textarea stays a plain textarea (natural editing, undo, paste); a backdrop behind it, with the
// same text, font and wrapping, carries the highlights. Its text is transparent: only colours show.
function renderEditor() {
  const area = $("draft");
  const text = area.value;
  const parts = [];
  let at = 0;
  for (const r of highlightRanges(text)) {
    parts.push(text.slice(at, r.start));
    const node = el(r.kind === "cite" ? "span" : "mark", text.slice(r.start, r.end), { class: r.kind });
    if (r.kind === "cite") node.dataset.n = r.n;
    parts.push(node);
    at = r.end;
  }
  parts.push(text.slice(at) + "\u200b"); // a trailing newline still takes a line
  $("draft-backdrop").replaceChildren(...parts);
  area.style.height = "auto";
  area.style.height = `${area.scrollHeight + 2}px`; // grows with the text: one scrollbar, the page's
}

function citeAt(text, position) {
  for (const m of text.matchAll(CITE)) {
    if (position >= m.index && position <= m.index + m[0].length) return m[1];
  }
  return null;
}

function onDraftCaret() {
  const area = $("draft");
  if (area.selectionStart !== area.selectionEnd) return;
  const n = citeAt(area.value, area.selectionStart);
  if (n) showPreview(n);
}

function onDraftHover(event) {
  const under = document.elementsFromPoint(event.clientX, event.clientY);
  const cite = under.find((node) => node.classList && node.classList.contains("cite"));
  $("draft").classList.toggle("over-cite", Boolean(cite));
  if (cite && cite.dataset.n !== $("cite-preview").dataset.n) showPreview(cite.dataset.n);
}

function showPreview(n) {
  const box = $("cite-preview");
  if (!box.hidden && box.dataset.n === n) return;
  closePreview();
  const p = state.passages.get(n);
  box.dataset.n = n;
  const close = el("button", "Fermer", { type: "button", class: "link close", "aria-label": "Fermer l'aperçu de la source" });
  close.addEventListener("click", () => { closePreview(); $("draft").focus(); });
  if (!p) {
    box.replaceChildren(el("p", `Source [${n}] introuvable parmi les passages proposés.`), close);
  } else {
    const head = el("p", null, { class: "preview-head" });
    head.append(el("strong", `[${n}] ${p.title}`), ` — ${p.updated || "date inconnue"}`);
    const quote = el("blockquote", null);
    quote.append(p.cited_sentence ? el("mark", p.cited_sentence) : el("span", (p.text || "").slice(0, 400)));
    const more = el("button", "Voir le passage entier", { type: "button", class: "link" });
    more.addEventListener("click", () => openInList(n));
    box.replaceChildren(head, quote, more, " ", sourceLink(p), " ", close);
  }
  box.hidden = false;
  sourceOpened("preview");
}

function closePreview() {
  const box = $("cite-preview");
  if (box.hidden) return;
  box.hidden = true;
  sourceClosed("preview", box.dataset.n);
  delete box.dataset.n;
}

function openInList(n) {
  const item = document.querySelector(`#citations > li[data-n="${CSS.escape(String(n))}"]`);
  if (!item) return;
  setOpen(item, true);
  item.scrollIntoView({ block: "nearest" });
  item.querySelector("button.toggle").focus({ preventScroll: true });
}

function sourceLink(p) {
  const link = el("a", "Ouvrir la source", { rel: "noopener", target: "_blank" });
  link.href = /^https?:\/\//i.test(p.url || "") ? p.url : "#"; // never javascript: or data:
  return link;
}

function renderCitations(passages) {
  const list = $("citations");
  for (const item of list.querySelectorAll("li[data-n]")) setOpen(item, false);
  list.replaceChildren();
  state.passages = new Map(passages.map((p) => [String(p.n), p]));
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
    const link = sourceLink(p);
    const panel = el("div", null, { id: panelId, class: "passage-panel" });
    panel.hidden = true;
    panel.append(passageBody(p), whyDetails(p));
    item.append(button, " ", link, panel);
    list.append(item);
  }
}

function renderFlags(flags) {
  state.flags = flags || [];
  renderEditor();
  $("flags").replaceChildren(...state.flags.map((f) => {
    const li = el("li");
    if (f.value && IN_TEXT_FLAGS.has(f.kind)) li.append(el("strong", `« ${f.value} »`), " : ");
    li.append(f.message);
    return li;
  }));
}

function renderDecision(kind, reason, arm) {
  const box = $("decision");
  if (kind === "drafted") { box.hidden = true; box.replaceChildren(); return; }
  const title = kind === "routed_to_human"
    ? "À traiter par une personne : pas de brouillon proposé."
    : "Pas de brouillon : les sources ne suffisent pas.";
  box.replaceChildren(el("strong", title), el("span", reason || ""));
  box.hidden = false;
  $("draft-block").hidden = arm !== "control"; // in the control arm the agent writes the reply here
}

// The control arm: the same page without a draft; the agent writes, the same timings are taken.
function renderArm(arm) {
  const control = arm === "control";
  $("arm-note").hidden = !control;
  $("draft-label").textContent = control ? "Votre réponse (à rédiger)" : "Brouillon (modifiable)";
  $("draft").placeholder = control ? "Rédigez votre réponse ici…" : "";
  $("draft-help").hidden = control;
  for (const id of ["regenerate", "discard", "verdict-actions"]) $(id).hidden = control;
}

function setActionsEnabled(enabled) {
  for (const id of ["use", "discard", "regenerate"]) $(id).disabled = !enabled;
}

// ---------------------------------------------------------------- asking (SSE over fetch)

function questionFromForm() {
  const body = { question: $("question").value };
  if ($("category").value) body.category = $("category").value;
  if ($("topic").value.trim()) body.topic = $("topic").value.trim();
  return body;
}

async function ask(event, regenerate = null) {
  if (event) event.preventDefault();
  if (state.streaming) return;
  const body = regenerate ? { ...regenerate.body, regenerate_of: regenerate.draftId } : questionFromForm();
  const question = body.question;
  if (!question.trim()) { showError("Saisissez la question reçue."); return; }

  resetState();
  state.question = body;
  state.replacing = regenerate; // { draftId, body, text } of the draft being replaced, or null
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
  renderArm(null);
  renderFlags([]);
  $("citations").replaceChildren();
  setActionsEnabled(false);
  setStatus(regenerate ? "Nouveau brouillon en cours…" : "Rédaction en cours…", true);
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
    state.arm = data.arm;
    renderArm(data.arm);
    renderCitations(data.passages || []);
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
  renderArm(final.arm);
  const passages = final.citations && final.citations.length ? final.citations : final.passages;
  renderCitations(passages || []);
  renderDecision(final.decision.kind, final.decision.reason, final.arm);
  if (final.arm === "control") {
    $("draft").value = "";
    $("draft").readOnly = false;
    renderFlags([]);
    setActionsEnabled(true);
    state.shownAt = performance.now();
    record("shown");
    setStatus("Sources prêtes : rédigez votre réponse, puis « Utiliser ».");
  } else if (final.decision.kind === "drafted" && final.text) {
    $("draft").value = final.text;
    $("draft").readOnly = false;
    renderFlags(final.flags);
    setActionsEnabled(true);
    state.shownAt = performance.now();
    record("shown");
    const note = final.fallback_reason ? ` (brouillon hors ligne : ${final.fallback_reason})` : "";
    state.draftText = final.text;
    const again = state.replacing && final.text === state.replacing.text
      ? " Même texte qu'avant : les sources n'ont pas changé." : "";
    setStatus(`Brouillon prêt : relisez-le et vérifiez les sources${note}.${again}`);
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
  const times = timings();
  closeAllSources(); // before "done": the last verification time is recorded with this draft
  state.done = true;
  setActionsEnabled(false);
  setStatus(message);
  return times;
}

const canAct = () => state.draftId && !state.done && state.shownAt !== null && !state.streaming;
const assistedDraft = () => canAct() && state.arm !== "control" && state.decision === "drafted";

async function useDraft() {
  if (!canAct()) return;
  const text = $("draft").value;
  if (!text.trim()) {
    showError(state.arm === "control" ? "Rédigez la réponse avant de l'utiliser." : "Le brouillon est vide.");
    return;
  }
  showError("");
  const extra = { final_text: text, timings: timings() };
  if (state.arm !== "control") extra.ai_mention_kept = text.includes(AI_MENTION);
  record("sent", extra);
  finish("Réponse marquée comme utilisée.");
  try {
    await navigator.clipboard.writeText(text);
    setStatus("Réponse copiée dans le presse-papiers : collez-la dans votre message.");
  } catch {
    setStatus("Réponse enregistrée ; copie automatique impossible : copiez le texte vous-même.");
  }
}

function regenerate() {
  if (!assistedDraft()) return;
  const previous = { draftId: state.draftId, body: state.question, text: state.draftText };
  record("regenerated", { timings: finish("Nouveau brouillon demandé.") });
  ask(null, previous);
}

function openDiscard() {
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
}

function thumbUp() {
  if (!state.draftId || state.arm === "control") return;
  record("verdict", { value: "up", timings: timings() });
  hideForms();
  setStatus("Merci pour votre avis.");
}

function openDown() {
  if (!state.draftId || state.arm === "control") return;
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
  if (event.key === "Escape" && event.target.closest && event.target.closest(".inline-form")) {
    hideForms();
    $("draft").focus();
    return;
  }
  if (event.ctrlKey && event.key === "Enter" && !$("workspace").hidden) {
    event.preventDefault();
    ask();
    return;
  }
  if (!event.altKey || event.ctrlKey || event.metaKey || $("result").hidden) return;
  const actions = { KeyU: useDraft, KeyR: regenerate, KeyE: openDiscard, KeyP: thumbUp, KeyN: openDown };
  const action = actions[event.code];
  if (action) { event.preventDefault(); action(); }
}

function init() {
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", () => { session.clear(); showLogin(); });
  $("ask-form").addEventListener("submit", ask);
  $("draft").addEventListener("input", onDraftInput);
  $("draft").addEventListener("click", onDraftCaret);
  $("draft").addEventListener("keyup", (e) => { if (e.key.startsWith("Arrow")) onDraftCaret(); });
  $("draft").addEventListener("mousemove", onDraftHover);
  $("draft").addEventListener("keydown", (e) => { if (e.key === "Escape") closePreview(); });
  $("use").addEventListener("click", useDraft);
  $("regenerate").addEventListener("click", regenerate);
  $("discard").addEventListener("click", openDiscard);
  $("thumb-up").addEventListener("click", thumbUp);
  $("thumb-down").addEventListener("click", openDown);
  $("discard-form").addEventListener("submit", submitDiscard);
  $("down-form").addEventListener("submit", submitDown);
  $("down-form").addEventListener("change", () => {
    if ($("down-form").querySelector("input[name=reason]:checked")) $("down-error").hidden = true;
  });
  for (const b of document.querySelectorAll(".inline-form .cancel")) b.addEventListener("click", hideForms);
  document.addEventListener("keydown", onKey);
  window.addEventListener("online", flush);
  document.addEventListener("visibilitychange", onVisibility);
  setInterval(flush, 3000);
  writeQueue(readQueue());
  if (session.token && session.agentId) { showWorkspace(); flush(); } else showLogin();
}

init();
