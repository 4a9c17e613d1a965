// « Les changements »: the agents' release notes (GET /changelog), each with the feedback that
// motivated it (written by `hra eval release-notes`).

import { API, authHeaders, errorMessage } from "/panel/api.js";
import { $, el } from "/panel/dom.js";

export async function showChanges() {
  const r = await fetch(`${API}/changelog`, { headers: authHeaders() });
  if (!r.ok) throw Object.assign(new Error(await errorMessage(r)), { status: r.status });
  const entries = await r.json();
  $("changes-list").replaceChildren(...entries.map((e) => {
    const article = el("article", null, { class: "card" });
    article.append(el("h3", e.date ? `${e.date} — ${e.title}` : e.title));
    const list = el("ul");
    for (const item of e.items || []) list.append(el("li", item));
    article.append(list);
    return article;
  }));
}
