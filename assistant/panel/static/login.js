// Login (the token is checked against an agent route; the token alone says who the agent is) and
// "Nouveautés" (the agents' release notes).

import { API, authHeaders, errorMessage, flush, session } from "./api.js";
import { $, el } from "./dom.js";

const NEWS_SEEN_KEY = "hra.panel.news_seen";

export function showLogin(message = "") {
  $("login").hidden = false;
  $("workspace").hidden = true;
  $("token").value = "";
  $("login-status").textContent = message;
}

export function showWorkspace() {
  $("login").hidden = true;
  $("workspace").hidden = false;
  $("question").focus();
  loadNews();
}

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

export async function login(event) {
  event.preventDefault();
  const token = $("token").value.trim();
  if (!token) return;
  session.save(token);
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
