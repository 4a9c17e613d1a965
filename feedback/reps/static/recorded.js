// « Ce qui est enregistré »: AUDIT.md as served by this deployment (its schema section generated
// from the real migrations, its public key filled in), rendered from a small Markdown subset —
// headings, lists, tables, paragraphs, `code` — with textContent only.

import { API, authHeaders, errorMessage } from "/panel/api.js";
import { el } from "/panel/dom.js";

const SECTIONS = /^## (1|2|3|4|6)\./; // what is recorded, not, who sees what, how long, the schema

function inline(text) {
  const span = el("span");
  text.split(/(`[^`]+`)/).forEach((part) => {
    const code = part.startsWith("`") && part.endsWith("`");
    span.append(code ? el("code", part.slice(1, -1)) : part.replace(/\*\*/g, ""));
  });
  return span;
}

function table(lines) {
  const t = el("table");
  const cells = (line) => line.trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim());
  const head = el("tr");
  for (const c of cells(lines[0])) {
    const th = el("th", null, { scope: "col" });
    th.append(inline(c));
    head.append(th);
  }
  t.append(head);
  for (const line of lines.slice(2)) {
    const tr = el("tr");
    cells(line).forEach((c) => { const td = el("td"); td.append(inline(c)); tr.append(td); });
    t.append(tr);
  }
  return t;
}

/** The kept sections of the Markdown, as DOM nodes. */
export function render(markdown) {
  const out = [];
  let keep = false;
  let list = null;
  let rows = [];
  const flushTable = () => { if (rows.length) out.push(table(rows)); rows = []; };
  for (const raw of markdown.split("\n")) {
    const line = raw.trimEnd();
    if (line.startsWith("## ")) {
      flushTable();
      list = null;
      keep = SECTIONS.test(line);
      if (keep) out.push(el("h3", line.slice(3)));
      continue;
    }
    if (!keep) continue;
    if (line.startsWith("|")) { rows.push(line); continue; }
    flushTable();
    if (line.startsWith("### ")) { list = null; out.push(el("h4", line.slice(4))); continue; }
    if (/^\s*[-*] /.test(line)) {
      if (!list) { list = el("ul"); out.push(list); }
      const li = el("li");
      li.append(inline(line.replace(/^\s*[-*] /, "")));
      list.append(li);
      continue;
    }
    list = null;
    if (line.trim() && !line.startsWith("```") && !line.startsWith("<!--")) {
      const p = el("p");
      p.append(inline(line));
      out.push(p);
    }
  }
  flushTable();
  return out;
}

export async function showRecorded(container) {
  const r = await fetch(`${API}/audit/verifier`, { headers: authHeaders() });
  if (!r.ok) throw Object.assign(new Error(await errorMessage(r)), { status: r.status });
  container.replaceChildren(...render(await r.text()));
}
