"""« Exporter la semaine »: one self-contained HTML file (inline CSS and SVG, no script), the same
numbers as the page, suppressed cells saying why."""

from __future__ import annotations

from html import escape
from typing import Any

from eval.dashboard import svg
from eval.dashboard.aggregates import ARMS, DECISIONS
from eval.dashboard.labels import label
from feedback.stats import OUTCOMES

CSS = """
body{font:15px/1.45 system-ui,sans-serif;color:#1b1f24;margin:2rem auto;max-width:60rem;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:1.8rem;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;margin:.5rem 0}
td,th{border:1px solid #d0d7de;padding:.25rem .6rem;text-align:left}
td.n{text-align:right}.muted{color:#57606a;fill:#57606a}
.demo{background:#fff8c5;border:1px solid #d4a72c;padding:.5rem}
.suppressed{color:#57606a;font-style:italic}.chart text{font-size:12px;fill:#1b1f24}.bar{fill:#0969da}
figure{margin:1rem 0}figcaption{font-weight:600}
.trace{fill:none;stroke:#0969da;stroke-width:2}.dot{fill:#0969da}.axis{stroke:#8c959f}
"""


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %".replace(".", ",")


def _suppressed(block: dict[str, Any]) -> str:
    return f'<p class="suppressed">Non affiché : {escape(block["reason"])} (seuil de confidentialité).</p>'


def _table(rows: list[tuple[str, Any]]) -> str:
    cells = "".join(
        f'<tr><th scope="row">{escape(k)}</th><td class="n">{escape(str(v))}</td></tr>' for k, v in rows
    )
    return f"<table>{cells}</table>"


def _activity(a: dict[str, Any]) -> str:
    if a["suppressed"]:
        return _suppressed(a)
    rows = [("Questions reçues", a["questions"])]
    rows += [(label("decisions", k), a["decisions"][k]) for k in DECISIONS]
    rows += [(label("arms", k), a["arms"][k]) for k in ARMS]
    rows += [("Régénérations", a["regenerations"]), ("Brouillons « proposer quand même »", a["forced"])]
    return _table(rows)


def _outcomes(o: dict[str, Any]) -> str:
    if o["suppressed"]:
        return _suppressed(o)
    items = [(label("outcomes", k), float(o["counts"][k])) for k in OUTCOMES]
    return svg.bars(items, "Issue des brouillons", lambda v: f"{v:.0f}")


def _verdicts(v: dict[str, Any]) -> str:
    if v["suppressed"]:
        return _suppressed(v)
    head = (
        f"<p>Brouillons avec au moins un avis « pas utile » : {v['drafts_down']} sur {v['drafts_shown']} "
        f"affichés, soit {percent(v['down_share'])}.</p>"
    )
    items = [(label("reasons", k), float(n)) for k, n in v["reasons"].items()]
    return head + (svg.bars(items, "Raisons des avis « pas utile »", lambda x: f"{x:.0f}") if items else "")


def _edits(e: dict[str, Any]) -> str:
    if e["suppressed"]:
        return _suppressed(e)
    q = e["quartiles"]
    head = f"<p>{e['n']} réponses envoyées à partir d'un brouillon."
    if q:
        head += f" Quartiles : {percent(q[0])}, médiane {percent(q[1])}, {percent(q[2])}."
    items = [(b["bucket"], float(b["count"])) for b in e["histogram"]]
    return (
        head
        + "</p>"
        + svg.bars(items, "Distance d'édition brouillon → réponse envoyée", lambda x: f"{x:.0f}")
    )


def _times(t: dict[str, Any]) -> str:
    rows = []
    for arm in ARMS:
        block = t[arm]
        value = (
            f"non affiché : {block['reason']}"
            if block["suppressed"]
            else f"{block['median']} ({block['n']} envois)"
        )
        rows.append((label("arms", arm), value))
    return _table(rows)


def _flags(f: dict[str, Any]) -> str:
    if f["suppressed"]:
        return _suppressed(f)
    head = f"<p>{f['drafts_flagged']} brouillons sur {f['drafts']} avec au moins un point à vérifier.</p>"
    items = [(label("flags", k), float(n)) for k, n in f["by_kind"].items()]
    return head + (svg.bars(items, "Points à vérifier par type", lambda x: f"{x:.0f}") if items else "")


def _gaps(g: dict[str, Any]) -> str:
    if g["total"]["suppressed"]:
        return _suppressed(g["total"])
    parts = [f"<p>{g['total']['count']} questions sans brouillon utile (abstention ou brouillon écarté).</p>"]
    for topic in g["topics"]:
        examples = "".join(f"<li>{escape(q)}</li>" for q in topic["examples"])
        parts.append(f"<h3>{escape(topic['topic'])} — {topic['count']}</h3><ul>{examples}</ul>")
    other = g["other_topics"]
    if other:
        parts.append(
            f"<p>Autres thèmes : {other['count']}</p>"
            if not other["suppressed"]
            else f'<p class="suppressed">Autres thèmes non affichés : {escape(other["reason"])}.</p>'
        )
    return "".join(parts)


def _evals(e: dict[str, Any]) -> str:
    if not e["runs"]:
        return f'<p class="muted">{escape(e["message"] or "")}</p>'
    rows = []
    for run in e["runs"]:
        release = ", ".join(f"{k} {v}" for k, v in (run.get("release") or {}).items())
        scores = "; ".join(f"{m} {s.get('value', 0):.3f}" for m, s in (run.get("scores") or {}).items())
        rows.append(
            f"<tr><td>{escape(str(run.get('created_at', ''))[:10])}</td><td>{escape(_dataset(run))}</td>"
            f"<td>{escape(release)}</td><td>{escape(scores)}</td></tr>"
        )
    head = "<tr><th>Date</th><th>Jeu</th><th>Version</th><th>Scores</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def _dataset(run: dict[str, Any]) -> str:
    dataset = run.get("dataset")
    return str(dataset.get("name", "")) if isinstance(dataset, dict) else str(dataset or "")


def _trend(trend: dict[str, Any] | None) -> str:
    if not trend:
        return ""
    weeks = trend["weeks"]
    series = [
        ("questions", "Questions par semaine", lambda v: f"{v:.0f}"),
        ("drafted_share", "Part des questions avec brouillon", percent),
        ("as_is_share", "Part des brouillons envoyés tels quels", percent),
        ("down_share", "Part des brouillons jugés « pas utile »", percent),
    ]
    figures = [
        f"<figure><figcaption>{escape(title)}</figcaption>"
        f"{svg.line([(w['week'], w[key]) for w in weeks], title, fmt)}</figure>"
        for key, title, fmt in series
    ]
    return f"<h2>Tendance sur {len(weeks)} semaines</h2>" + "".join(figures)


def render(report: dict[str, Any], trend: dict[str, Any] | None = None) -> str:
    demo = '<p class="demo">Données de démonstration</p>' if report["demo"] else ""
    sections = [
        ("Activité", _activity(report["activity"])),
        ("Issue des brouillons", _outcomes(report["outcomes"])),
        ("Avis des agents", _verdicts(report["verdicts"])),
        ("Modifications avant envoi", _edits(report["edit_distance"])),
        ("Temps médian jusqu'à l'envoi", _times(report["time_to_send"])),
        ("Points signalés dans les brouillons", _flags(report["flags"])),
        ("Lacunes de la base de connaissances", _gaps(report["kb_gaps"])),
        ("Évaluations par version", _evals(report["evals"])),
        (report["reserved"]["title"], f'<p class="muted">{escape(report["reserved"]["message"])}</p>'),
    ]
    body = "".join(f"<section><h2>{escape(t)}</h2>{html}</section>" for t, html in sections)
    return (
        f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Tableau de bord — '
        f"{escape(report['week'])}</title><style>{CSS}</style></head><body>"
        f"<h1>Tableau de bord hebdomadaire — {escape(report['label'])}</h1>{demo}"
        f'<p class="muted">Chiffres agrégés, jamais par agent ; toute case calculée sur moins de '
        f"{report['min_agents']} agents est masquée.</p>{body}{_trend(trend)}</body></html>"
    )
