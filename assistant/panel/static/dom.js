// DOM and French formatting helpers. Server data is only ever written with textContent / value.

export const $ = (id) => document.getElementById(id);

export function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  return node;
}

const MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
  "octobre", "novembre", "décembre"];

/** "2021-02-01" → "1er février 2021"; anything else is returned as is, "" → "date inconnue". */
export function frenchDate(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
  if (!m) return iso || "date inconnue";
  const day = Number(m[3]);
  return `${day === 1 ? "1er" : day} ${MONTHS[Number(m[2]) - 1]} ${m[1]}`;
}

/** 1 → "1er", 2 → "2e" (French ordinals). */
export const ordinal = (n) => (n === 1 ? "1er" : `${n}e`);

/** A link that can only be http(s): never javascript: or data:. */
export function sourceLink(url, text = "Ouvrir la source") {
  const link = el("a", text, { rel: "noopener", target: "_blank" });
  link.href = /^https?:\/\//i.test(url || "") ? url : "#";
  return link;
}

/** Save a blob as a file (the dashboard's and the representatives' exports). */
export function downloadBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = el("a", null, { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
