// The trend over the last weeks (shares, so that weeks compare); suppressed weeks leave a gap.

import { API, authHeaders, errorMessage } from "/panel/api.js";
import { $, el } from "/panel/dom.js";
import { line } from "./charts.js";
import { count, percent, seconds } from "./format.js";

export async function showTrend(until, weeks = 8) {
  const r = await fetch(`${API}/dashboard/trend?until=${encodeURIComponent(until)}&weeks=${weeks}`,
    { headers: authHeaders() });
  if (!r.ok) throw new Error(await errorMessage(r));
  const data = await r.json();
  const series = (key) => data.weeks.map((w) => [w.week, w[key]]);
  const charts = [
    ["Questions par semaine", series("questions"), count],
    ["Part des questions avec brouillon", series("drafted_share"), percent],
    ["Part des brouillons envoyés tels quels", series("as_is_share"), percent],
    ["Part des brouillons jugés « pas utile »", series("down_share"), percent],
    ["Temps médian jusqu'à l'envoi — bras assisté", series("median_seconds_assisted"), seconds],
    ["Temps médian jusqu'à l'envoi — bras témoin", series("median_seconds_control"), seconds],
  ];
  $("trend-title").textContent = `Tendance sur ${weeks} semaines (jusqu'à ${until})`;
  $("trend-charts").replaceChildren(...charts.map(([title, points, fmt]) => {
    const section = el("section", null, { class: "card" });
    section.append(el("h3", title), line(points, title, fmt));
    return section;
  }));
  const hiddenWeeks = data.weeks.filter((w) => w.suppressed).length;
  if (hiddenWeeks) {
    $("trend-charts").append(el("p", `${hiddenWeeks} semaine(s) sans point : moins de ${data.min_agents} agents.`,
      { class: "suppressed" }));
  }
}
