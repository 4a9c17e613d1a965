"""Hand-built SVG charts for the exported week (no plotting library, no script): horizontal bars
and a trend line. Every text goes through ``escape``; each chart carries a title for screen
readers."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

WIDTH, ROW, LABEL_W = 560, 24, 230


def bars(items: list[tuple[str, float]], title: str, fmt: Callable[[float], str] = lambda v: f"{v:g}") -> str:
    """One bar per (label, value), values as text at the end of each bar."""
    top = max((v for _, v in items), default=0) or 1
    height = ROW * len(items) + 8
    rows = []
    for i, (name, value) in enumerate(items):
        y = 4 + i * ROW
        w = (WIDTH - LABEL_W - 70) * value / top
        rows.append(
            f'<text x="{LABEL_W - 6}" y="{y + 16}" text-anchor="end">{escape(name)}</text>'
            f'<rect x="{LABEL_W}" y="{y + 4}" width="{w:.1f}" height="{ROW - 8}" class="bar"/>'
            f'<text x="{LABEL_W + w + 6:.1f}" y="{y + 16}">{escape(fmt(value))}</text>'
        )
    return _svg(title, height, "".join(rows))


def line(
    points: list[tuple[str, float | None]], title: str, fmt: Callable[[float], str] = lambda v: f"{v:g}"
) -> str:
    """A trend: one labelled point per week, gaps where a week is suppressed (None)."""
    height, left, bottom = 190, 40, 150
    known = [v for _, v in points if v is not None]
    top = max(known, default=0) or 1
    step = (WIDTH - left - 50) / max(len(points) - 1, 1)
    parts, path, pen_up = [], [], True
    for i, (week, value) in enumerate(points):
        x = left + i * step
        parts.append(f'<text x="{x:.1f}" y="{bottom + 20}" text-anchor="middle">{escape(week[-3:])}</text>')
        if value is None:
            parts.append(f'<text x="{x:.1f}" y="{bottom - 4}" text-anchor="middle" class="muted">—</text>')
            pen_up = True
            continue
        y = bottom - (bottom - 20) * value / top
        path.append(f"{'M' if pen_up else 'L'}{x:.1f},{y:.1f}")
        pen_up = False
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" class="dot"/>')
        parts.append(f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle">{escape(fmt(value))}</text>')
    axis = f'<line x1="{left - 10}" y1="{bottom}" x2="{WIDTH - 10}" y2="{bottom}" class="axis"/>'
    trace = f'<path d="{" ".join(path)}" class="trace"/>' if path else ""
    return _svg(title, height, axis + trace + "".join(parts))


def _svg(title: str, height: int, body: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" role="img" aria-label="{escape(title)}" class="chart">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def stacked(
    items: list[tuple[str, float]], title: str, fmt: Callable[[float], str] = lambda v: f"{v:g}"
) -> str:
    """One stacked horizontal bar (segments side by side, each with its own title), then a legend:
    swatch, label and value, one line each."""
    total = sum(max(0.0, v) for _, v in items) or 1
    bar_h, legend_top = 26, 40
    x, parts = 0.0, []
    for i, (name, value) in enumerate(items):
        w = (WIDTH - 2) * max(0.0, value) / total
        text = escape(f"{name} : {fmt(value)}")
        parts.append(
            f'<rect x="{x:.1f}" y="4" width="{w:.1f}" height="{bar_h}" class="seg seg{i}">'
            f"<title>{text}</title></rect>"
        )
        y = legend_top + i * ROW
        parts.append(
            f'<rect x="0" y="{y + 4}" width="14" height="14" class="seg seg{i}"/>'
            f'<text x="22" y="{y + 16}">{text}</text>'
        )
        x += w
    return _svg(title, legend_top + ROW * len(items), "".join(parts))
