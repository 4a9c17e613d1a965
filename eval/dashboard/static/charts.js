// Hand-built SVG charts (no library): horizontal bars and a trend line. Text only via textContent.

const NS = "http://www.w3.org/2000/svg";
const WIDTH = 440;
const ROW = 24;
const LABEL_W = 190;

function node(tag, attrs = {}, text) {
  const n = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  if (text !== undefined) n.textContent = String(text);
  return n;
}

function frame(title, height, width = WIDTH) {
  const svg = node("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title, class: "chart" });
  svg.append(node("title", {}, title));
  return svg;
}

/** items: [[label, value]]; fmt formats the value written at the end of each bar. */
export function bars(items, title, fmt = String) {
  const top = Math.max(0, ...items.map(([, v]) => v)) || 1;
  const svg = frame(title, ROW * items.length + 8);
  items.forEach(([name, value], i) => {
    const y = 4 + i * ROW;
    const w = ((WIDTH - LABEL_W - 50) * value) / top;
    svg.append(
      node("text", { x: LABEL_W - 6, y: y + 16, "text-anchor": "end" }, name),
      node("rect", { x: LABEL_W, y: y + 4, width: w.toFixed(1), height: ROW - 8, class: "bar" }),
      node("text", { x: (LABEL_W + w + 6).toFixed(1), y: y + 16 }, fmt(value)),
    );
  });
  return svg;
}

/** points: [[week, value|null]]; a null (suppressed week) leaves a gap marked « — ». */
export function line(points, title, fmt = String) {
  const height = 190, left = 30, bottom = 150;
  const known = points.map(([, v]) => v).filter((v) => v !== null && v !== undefined);
  const top = Math.max(0, ...known) || 1;
  const step = (WIDTH - left - 50) / Math.max(points.length - 1, 1);
  const svg = frame(title, height);
  svg.append(node("line", { x1: left - 10, y1: bottom, x2: WIDTH - 10, y2: bottom, class: "axis" }));
  let d = "", penUp = true;
  const marks = [];
  points.forEach(([week, value], i) => {
    const x = left + i * step;
    marks.push(node("text", { x, y: bottom + 20, "text-anchor": "middle" }, week.slice(-3)));
    if (value === null || value === undefined) {
      marks.push(node("text", { x, y: bottom - 4, "text-anchor": "middle" }, "—"));
      penUp = true;
      return;
    }
    const y = bottom - ((bottom - 20) * value) / top;
    d += `${penUp ? "M" : "L"}${x.toFixed(1)},${y.toFixed(1)} `;
    penUp = false;
    marks.push(node("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: 4, class: "dot" }));
    marks.push(node("text", { x: x.toFixed(1), y: (y - 8).toFixed(1), "text-anchor": "middle" }, fmt(value)));
  });
  if (d) svg.append(node("path", { d: d.trim(), class: "trace" }));
  svg.append(...marks);
  return svg;
}

/** One stacked horizontal bar: items [[label, value]] side by side, then a legend (swatch, label,
 * value) one line each; every segment carries its own <title>. */
export function stacked(items, title, fmt = String) {
  const total = items.reduce((sum, [, v]) => sum + Math.max(0, v), 0) || 1;
  const barH = 26, legendTop = barH + 14, width = 2 * WIDTH;  // a wide card: text stays at its size
  const svg = frame(title, legendTop + ROW * items.length, width);
  let x = 0;
  items.forEach(([name, value], i) => {
    const w = ((width - 2) * Math.max(0, value)) / total;
    const seg = node("rect", { x: x.toFixed(1), y: 4, width: w.toFixed(1), height: barH, class: `seg seg${i}` });
    seg.append(node("title", {}, `${name} : ${fmt(value)}`));
    svg.append(seg);
    x += w;
    const y = legendTop + i * ROW;
    svg.append(
      node("rect", { x: 0, y: y + 4, width: 14, height: 14, class: `seg seg${i}` }),
      node("text", { x: 22, y: y + 16 }, `${name} : ${fmt(value)}`),
    );
  });
  return svg;
}
