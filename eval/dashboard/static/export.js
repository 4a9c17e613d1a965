// « Exporter la semaine » (HTML) and « PDF »: the server renders the file; it is downloaded here.

import { API, authHeaders, errorMessage } from "/panel/api.js";

export async function exportWeek(week, format = "html") {
  const query = `week=${encodeURIComponent(week)}&format=${format}`;
  const r = await fetch(`${API}/dashboard/export?${query}`, { headers: authHeaders() });
  if (!r.ok) throw new Error(await errorMessage(r));
  const url = URL.createObjectURL(await r.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = `tableau-de-bord-${week}.${format}`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
