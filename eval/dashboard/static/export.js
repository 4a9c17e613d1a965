// « Exporter la semaine »: the server renders one self-contained HTML file; it is downloaded here.

import { API, authHeaders, errorMessage } from "/panel/api.js";

export async function exportWeek(week) {
  const r = await fetch(`${API}/dashboard/export?week=${encodeURIComponent(week)}`, { headers: authHeaders() });
  if (!r.ok) throw new Error(await errorMessage(r));
  const url = URL.createObjectURL(await r.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = `tableau-de-bord-${week}.html`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
