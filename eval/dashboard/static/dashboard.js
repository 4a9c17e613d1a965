// The leads' dashboard: wiring only. Login, session and DOM helpers are the panel's own modules;
// week data, trend, charts and export are one module each.

import { session } from "/panel/api.js";
import { $ } from "/panel/dom.js";
import { login, onReady, showLogin, showWorkspace } from "/panel/login.js";
import { exportWeek } from "./export.js";
import { showTrend } from "./trend.js";
import { fetchWeek, renderWeek } from "./week.js";

const view = { week: new URLSearchParams(location.search).get("week"), data: null, trend: false };

function fail(error) {
  if (error.status === 401) { session.clear(); showLogin(error.message); return; }
  $("error").textContent = error.message;
  $("error").hidden = false;
}

async function load(week) {
  $("status").textContent = "Chargement…";
  $("error").hidden = true;
  try {
    view.data = await fetchWeek(week);
    view.week = view.data.week;
    history.replaceState(null, "", `?week=${view.week}`);
    renderWeek(view.data);
    $("prev-week").disabled = false;
    $("next-week").disabled = !view.data.next;
    if (view.trend) await showTrend(view.week);
    $("status").textContent = "";
  } catch (error) { $("status").textContent = ""; fail(error); }
}

function setView(trend) {
  view.trend = trend;
  $("show-week").setAttribute("aria-pressed", String(!trend));
  $("show-trend").setAttribute("aria-pressed", String(trend));
  $("week-view").hidden = trend;
  $("trend-view").hidden = !trend;
  if (trend) showTrend(view.week).catch(fail);
}

function init() {
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", () => { session.clear(); showLogin(); });
  $("prev-week").addEventListener("click", () => view.data && load(view.data.previous));
  $("next-week").addEventListener("click", () => view.data && view.data.next && load(view.data.next));
  $("show-week").addEventListener("click", () => setView(false));
  $("show-trend").addEventListener("click", () => setView(true));
  for (const [id, format] of [["export", "html"], ["export-pdf", "pdf"]]) {
    $(id).addEventListener("click", async () => {
      $("status").textContent = "Export en cours…";
      try {
        await exportWeek(view.week, format);
        $("status").textContent = format === "pdf" ? "Semaine exportée en PDF." : "Semaine exportée.";
      } catch (e) { fail(e); }
    });
  }
  onReady(() => load(view.week));
  if (session.token) showWorkspace(); else showLogin();
}

init();
