// The one login of every page (the token alone says the role and the agent: GET /whoami), where
// each role lands, the navigation (only the pages the role may see), and "Nouveautés" (the agents'
// release notes). A page other than the panel registers its start with onReady().

import { API, authHeaders, errorMessage, flush, session } from "./api.js";
import { $, el } from "./dom.js";

const NEWS_SEEN_KEY = "hra.panel.news_seen";
const ROLE_KEY = "hra.panel.role";
const PAGES = [
  { id: "panel", href: "/panel/", label: "Panneau agent", roles: ["agent", "admin"] },
  { id: "dashboard", href: "/dashboard/", label: "Tableau de bord", roles: ["lead", "admin"] },
  { id: "reps", href: "/reps/", label: "Espace des représentants", roles: ["rep", "admin"] },
];
const HERE = document.body.dataset.page || "panel";
let pageStart = null;

/** A page other than the panel: what to run once logged in. */
export function onReady(start) { pageStart = start; }

const pagesFor = (role) => PAGES.filter((p) => p.roles.includes(role));
const allowedHere = (role) => !role || pagesFor(role).some((p) => p.id === HERE);

function renderNav(role) {
  const pages = pagesFor(role);
  let nav = $("nav");
  if (pages.length < 2) { if (nav) nav.hidden = true; return; }
  if (!nav) {
    nav = el("nav", null, { id: "nav", "aria-label": "Pages" });
    document.querySelector("header.bar").append(nav);
  }
  nav.hidden = false;
  nav.replaceChildren(...pages.map((p) => {
    const link = el("a", p.label, { href: p.href });
    if (p.id === HERE) link.setAttribute("aria-current", "page");
    return link;
  }));
}

export function showLogin(message = "") {
  $("login").hidden = false;
  $("workspace").hidden = true;
  $("token").value = "";
  $("login-status").textContent = message;
}

export function showWorkspace() {
  const role = sessionStorage.getItem(ROLE_KEY);
  if (!allowedHere(role)) { location.replace(pagesFor(role)[0]?.href || "/"); return; }
  renderNav(role);
  $("login").hidden = true;
  $("workspace").hidden = false;
  if (pageStart) { pageStart(); return; }
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
    const r = await fetch(`${API}/whoami`, { headers: authHeaders() });
    const role = r.ok ? (await r.json()).role : null;
    if (role && !pagesFor(role).length) {
      session.clear();
      showLogin(`Accès refusé (403) : le rôle ${role} n'a pas de page ici pour l'instant.`);
    } else if (role) {
      sessionStorage.setItem(ROLE_KEY, role);
      $("login-status").textContent = "";
      showWorkspace(); // or the page of that role (a lead lands on the dashboard)
      if (allowedHere(role)) flush();
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
