// « Exporter la semaine » (HTML) and « PDF »: the server renders the file; it is downloaded here.

import { API, downloadFrom } from "/panel/api.js";

export async function exportWeek(week, format = "html") {
  const query = `week=${encodeURIComponent(week)}&format=${format}`;
  await downloadFrom(`${API}/dashboard/export?${query}`, `tableau-de-bord-${week}.${format}`);
}
