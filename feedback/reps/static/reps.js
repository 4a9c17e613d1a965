// The representatives' space: wiring only. Login, session and DOM helpers are the panel's own
// modules; each rubric is one module.

import { session } from "/panel/api.js";
import { $ } from "/panel/dom.js";
import { login, onReady, showLogin, showWorkspace } from "/panel/login.js";
import { aggregatesCsv, showAggregates } from "./aggregates.js";
import { showChanges } from "./changes.js";
import { downloadBundle, downloadVerifier, makeReceipt, showKey, verifyInBrowser } from "./checks.js";
import { initJournal, journalCsv, loadJournal, nextPage, previousPage } from "./journal.js";
import { showRecorded } from "./recorded.js";

const VIEWS = {
  recorded: () => showRecorded($("recorded-doc")),
  journal: () => loadJournal(0),
  aggregates: () => showAggregates(),
  changes: () => showChanges(),
  verify: () => showKey(),
};

function isoWeek(date) {
  const d = new Date(Date.UTC(date.getFullYear(), date.getMonth(), date.getDate()));
  const day = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - day);
  const year = d.getUTCFullYear();
  const week = Math.ceil(((d - Date.UTC(year, 0, 1)) / 86400000 + 1) / 7);
  return `${year}-W${String(week).padStart(2, "0")}`;
}

function fail(error) {
  $("status").textContent = "";
  if (error.status === 401) { session.clear(); showLogin(error.message); return; }
  $("error").textContent = error.message;
  $("error").hidden = false;
}

async function run(action, done = "") {
  $("error").hidden = true;
  $("status").textContent = "Chargement…";
  try {
    const message = await action();
    $("status").textContent = typeof message === "string" ? message : done;
  } catch (error) { fail(error); }
}

function show(view) {
  for (const button of document.querySelectorAll("[data-view]")) {
    button.setAttribute("aria-pressed", String(button.dataset.view === view));
  }
  for (const name of Object.keys(VIEWS)) $(`view-${name}`).hidden = name !== view;
  history.replaceState(null, "", `#${view}`);
  run(VIEWS[view]);
}

function init() {
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", () => { session.clear(); showLogin(); });
  for (const button of document.querySelectorAll("[data-view]")) {
    button.addEventListener("click", () => show(button.dataset.view));
  }
  initJournal(isoWeek(new Date()));
  $("journal-filters").addEventListener("submit", (e) => { e.preventDefault(); run(() => loadJournal(0)); });
  $("journal-prev").addEventListener("click", () => run(previousPage));
  $("journal-next").addEventListener("click", () => run(nextPage));
  $("journal-csv").addEventListener("click", () => run(journalCsv, "Journal exporté."));
  $("aggregates-csv").addEventListener("click", () => run(aggregatesCsv, "Agrégats exportés."));
  $("make-receipt").addEventListener("click", () => run(makeReceipt));
  $("download-bundle").addEventListener("click", () => run(downloadBundle, "Paquet téléchargé."));
  $("download-verifier").addEventListener("click", (e) => { e.preventDefault(); run(downloadVerifier, "Vérificateur téléchargé."); });
  $("verify-form").addEventListener("submit", (e) => { e.preventDefault(); run(verifyInBrowser, "Vérification terminée."); });
  const start = (location.hash || "#recorded").slice(1);
  onReady(() => show(start in VIEWS ? start : "recorded"));
  if (session.token) showWorkspace(); else showLogin();
}

init();
