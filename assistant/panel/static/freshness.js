// How old a source is, said where the agent reads it: « Source : site, mis à jour le 13/11/2025 »,
// and « ancienne source — à vérifier » past the age the server sets (3 years unless configured).

import { el } from "./dom.js";

export const DEFAULT_MAX_AGE_YEARS = 3;

/** "2021-02-01" → "le 01/02/2021", "2020-06" → "en 06/2020", "2020" → "en 2020", "" → "". */
export function updatedOn(iso) {
  const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?/.exec(iso || "");
  if (!m) return "";
  if (m[3]) return `le ${m[3]}/${m[2]}/${m[1]}`;
  return m[2] ? `en ${m[2]}/${m[1]}` : `en ${m[1]}`;
}

function host(url) {
  try { return /^https?:/i.test(url || "") ? new URL(url).hostname.replace(/^www\./, "") : ""; } catch { return ""; }
}

/** True when the passage's date is older than maxAge years (a passage with no date is not "old":
 * it is "date inconnue", said as such). `stale` from the server wins when present. */
export function isOld(p, now = new Date(), maxAge = DEFAULT_MAX_AGE_YEARS) {
  if (typeof p.stale === "boolean") return p.stale;
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(p.updated || "");
  if (!m) return false;
  const limit = new Date(now);
  limit.setFullYear(limit.getFullYear() - maxAge);
  return new Date(`${m[1]}-${m[2]}-${m[3]}T00:00:00Z`) < limit;
}

/** The line under a source: its site and date, and the warning when it is old. */
export function sourceLine(p, now = new Date()) {
  const line = el("p", null, { class: "source-line" });
  const site = host(p.url);
  const date = updatedOn(p.updated);
  line.append(`Source : ${site || p.title}${date ? `, mis à jour ${date}` : ", date de mise à jour inconnue"}`);
  if (isOld(p, now)) {
    line.append(" ");
    line.append(el("span", "ancienne source — à vérifier", { class: "stale-source" }));
  }
  return line;
}
