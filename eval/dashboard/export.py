"""« Exporter la semaine »: one self-contained HTML file (inline CSS and SVG, no script), the same
numbers as the page, suppressed cells saying why."""

from __future__ import annotations

from html import escape
from typing import Any

from assistant.errors import FeatureUnavailableError
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
.seg0{fill:#0969da}.seg1{fill:#8250df}.seg2{fill:#bc4c00}.seg3{fill:#1a7f37}
caption{text-align:left;font-weight:600}.net{border-left:4px solid #0969da;padding-left:.5rem}
"""


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %".replace(".", ",")


def seconds(value: float) -> str:
    """« 2 min 05 s », like the page's format.js."""
    total = round(value)
    minutes, rest = divmod(total, 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def signed(value: float | None) -> str:
    return "—" if value is None else (f"−{seconds(-value)}" if round(value) < 0 else seconds(value))


def decimal(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}".replace(".", ",")


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
    parts = [
        f"<p>{g['total']['count']} questions sans brouillon utile (pas de brouillon, brouillon écarté ou "
        "« pas utile » pour information manquante ou périmée), regroupées par sens.</p>"
    ]
    for c in g["clusters"]:
        why = ", ".join(f"{n} {label('gap_why', k)}" for k, n in c["why"].items())
        examples = "".join(f"<li>{escape(q)}</li>" for q in c["examples"])
        head = f"{c['topic_label'] or 'Sans thème'} — {c['count']} questions ({why})"
        parts.append(f"<h3>{escape(head)}</h3><ul>{examples}</ul>")
    hidden = g["hidden"]
    if hidden and hidden["count"]:
        parts.append(
            f'<p class="suppressed">{hidden["count"]} autres questions en {hidden["clusters"]} groupes '
            "non détaillés : moins de 5 agents chacun.</p>"
        )
    return "".join(parts)


def _evals(e: dict[str, Any]) -> str:
    if not e["runs"]:
        return f'<p class="muted">{escape(e["message"] or "")}</p>'
    rows = []
    for run in e["runs"]:
        release = ", ".join(f"{k} {v}" for k, v in (run.get("release") or {}).items())
        scores = "; ".join(f"{m} {score_text(s)}" for m, s in (run.get("scores") or {}).items())
        rows.append(
            f"<tr><td>{escape(str(run.get('created_at', ''))[:10])}</td><td>{escape(_dataset(run))}</td>"
            f"<td>{escape(release)}</td><td>{escape(scores)}</td></tr>"
        )
    head = "<tr><th>Date</th><th>Jeu</th><th>Version</th><th>Scores</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def score_text(s: dict[str, Any]) -> str:
    """« 0,812 [0,790 ; 0,830] (n = 300) », as the page's week.js."""
    value = s.get("value")
    if value is None or value != value:  # NaN: undefined for every sample
        return "non défini"
    ci = "" if s.get("ci_low") is None else f" [{decimal(s['ci_low'], 3)} ; {decimal(s['ci_high'], 3)}]"
    return f"{decimal(value, 3)}{ci}" + (f" (n = {s['n']})" if s.get("n") else "")


def _verified(v: dict[str, Any]) -> str:
    now = v["answers_now"]
    stock = (
        f"<p>Aujourd'hui : {now['verified']} réponses validées, {now['candidate']} candidates, "
        f"{sum(now['retired'].values())} retirées.</p>"
    )
    if v["suppressed"]:
        return stock + _suppressed(v)
    return stock + _table(
        [
            (
                "Brouillons issus d'une réponse validée",
                f"{v['reused']} sur {v['drafts']} ({percent(v['reused_share'])})",
            ),
            ("Envoyés tels quels", v["sent_as_is"]),
            ("Écartés", v["discarded"]),
            ("Jugés « pas utile » ensuite", percent(v["down_share"])),
        ]
    )


def _dataset(run: dict[str, Any]) -> str:
    dataset = run.get("dataset")
    return str(dataset.get("name", "")) if isinstance(dataset, dict) else str(dataset or "")


# -- « Temps gagné et travail induit » (same content as static/timesaved.js) ----------------------

EXTRA_PARTS = ("verification", "correction", "false_positives", "feedback")


def _interval(ci: list[float]) -> str:
    return f"[{signed(ci[0])} ; {signed(ci[1])}]"


def _why(cell: dict[str, Any]) -> str:
    return f"{cell['status']} : {cell.get('reason') or 'pas assez de données'}"


def headline(c: dict[str, Any]) -> str:
    """« 35 s gagnées par question [12 s ; 58 s], 140 questions assistées / 18 témoins. »"""
    if c["status"] != "ok":
        return f"Temps gagné : non affiché — {_why(c)}."
    hl = c["hodges_lehmann_s"]
    verb = f"{seconds(hl)} gagnées par question" if hl >= 0 else f"{seconds(-hl)} perdues par question"
    doubt = "" if c["interval_excludes_zero"] else " L'intervalle contient 0 : on ne peut pas conclure."
    return (
        f"{verb} {_interval(c['hodges_lehmann_ci95_s'])}, {c['n_assisted']} questions assistées / "
        f"{c['n_control']} témoins.{doubt}"
    )


def _grid(head: list[str], rows: list[list[str]], caption: str) -> str:
    out = [f"<table><caption>{escape(caption)}</caption><tr>"]
    out += [f'<th scope="col">{escape(h)}</th>' for h in head]
    out.append("</tr>")
    for name, *cells in rows:
        out.append(f'<tr><th scope="row">{escape(name)}</th>')
        if len(cells) == 1 and len(head) > 2:
            out.append(f'<td colspan="{len(head) - 1}" class="suppressed">{escape(cells[0])}</td>')
        else:
            out += [f'<td class="n">{escape(c)}</td>' for c in cells]
        out.append("</tr>")
    return "".join(out) + "</table>"


def _hidden_topics(b: dict[str, Any]) -> str:
    """Topics hidden for the same reason, in one line (the reason as given, then the topics)."""
    groups: dict[str, list[str]] = {}
    for c in b["per_topic"]:
        if c["status"] != "ok":
            groups.setdefault(_why(c), []).append(c["cell"])
    return "".join(
        f'<p class="suppressed">Thèmes non affichés — {escape(reason)} ({len(names)} '
        f"thème{'s' if len(names) > 1 else ''}).</p>"
        for reason, names in groups.items()
    )


def _time_saved_block(b: dict[str, Any], title: str) -> str:
    cells = [b["overall"], *b["per_topic"]]
    shown = [b["overall"], *(c for c in b["per_topic"] if c["status"] == "ok")]
    rows = [
        [
            c["cell"],
            f"{signed(c['median_difference_s'])} {_interval(c['median_difference_ci95_s'])}",
            f"{signed(c['hodges_lehmann_s'])} {_interval(c['hodges_lehmann_ci95_s'])}",
            f"{c['n_assisted']} / {c['n_control']}",
            str(c["agents"]),
        ]
        if c["status"] == "ok"
        else [c["cell"], _why(c)]
        for c in shown
    ]
    parts = [
        f"<h3>{escape(title)}</h3>",
        f'<p class="{"" if b["overall"]["status"] == "ok" else "suppressed"}"><strong>'
        f"{escape(headline(b['overall']))}</strong></p>",
        _grid(
            [
                "Thème",
                "Différence des médianes [IC 95 %]",
                "Hodges–Lehmann [IC 95 %]",
                "Questions envoyées (assistées / témoins)",
                "Agents",
            ],
            rows,
            "Temps gagné par question (témoin − assisté) ; positif : le brouillon fait gagner du temps",
        ),
    ]
    notes = [
        f"<li>{escape(c['cell'])} — {escape(c['power_note'])}</li>" for c in cells if c.get("power_note")
    ]
    if notes:
        parts.append(
            f"<p>Notes de puissance (combien de questions faudrait-il ?)</p><ul>{''.join(notes)}</ul>"
        )
    quart = [
        [label("arms", q["arm"]), str(q["n"]), seconds(q["q1_s"]), seconds(q["median_s"]), seconds(q["q3_s"])]
        if q["status"] == "ok"
        else [label("arms", q["arm"]), q["status"]]
        for q in b["quartiles"]
    ]
    parts.append(
        _grid(
            ["Bras", "Questions envoyées", "1er quartile", "Médiane", "3e quartile"],
            quart,
            "Temps d'envoi par bras",
        )
    )
    parts.append(_extra_work(b))
    r = b["retypes"]
    share = "" if r["control_share"] is None else f" ({percent(r['control_share'])})"
    parts.append(
        f'<p class="muted">Questions témoin reposées comme nouvelle question : {r["control_retyped"]} sur '
        f"{r['control_questions']}{share}, restées dans le bras témoin ; côté assisté : "
        f"{r['assisted_retyped']} sur {r['assisted_questions']}.</p>"
    )
    return "".join(parts)


def _extra_work(b: dict[str, Any]) -> str:
    x = b["extra_work"]
    if x["status"] != "ok":
        return f'<p class="suppressed">Travail induit : non affiché — {escape(_why(x))}.</p>' + _net(b)
    items = [(label("extra", k), float(x["per_question_s"][k])) for k in EXTRA_PARTS]
    rows = [
        [
            label("extra", k),
            seconds(x["per_question_s"][k]),
            seconds(x["total_minutes"][k] * 60),
            percent(x["share_of_assisted_time_to_send"][k]),
            "oui" if k in x["inside_time_to_send"] else "non (s'ajoute)",
        ]
        for k in EXTRA_PARTS
    ]
    rows.append(
        [
            "Régénérations",
            f"{decimal(x['regenerations_per_question'], 3)} par question",
            "—",
            "—",
            "oui (comprises)",
        ]
    )
    mean = x["mean_assisted_time_to_send_s"]
    title = (
        f"Travail induit par question assistée ({x['assisted_questions']} questions, {x['agents']} agents)"
    )
    distance = x["median_edit_distance"]
    return (
        svg.stacked(items, title, seconds)
        + _grid(
            [
                "Composante",
                "Par question assistée",
                "Total",
                "Part du temps d'envoi assisté",
                "Dans le temps d'envoi ?",
            ],
            rows,
            "Travail induit par la machine — temps d'envoi assisté moyen "
            + ("—" if mean is None else seconds(mean)),
        )
        + f'<p class="muted">Avis « source ou fait inventé » : '
        f"{decimal(x['invented_fact_or_source_per_question'], 3)} par question ; points à vérifier "
        f"affichés : {decimal(x['flags_per_question'])} par question ; distance d'édition médiane : "
        f"{decimal(distance)}.</p>" + _net(b)
    )


def _net(b: dict[str, Any]) -> str:
    n = b["net"]
    if n["status"] != "ok":
        return f'<p class="net suppressed">Effet net : non affiché — {escape(_why(n))}.</p>'
    return (
        f'<p class="net">Effet net : {signed(n["net_saved_per_question_s"])} par question '
        f"{_interval(n['net_ci95_s'])} = temps gagné {signed(b['overall']['hodges_lehmann_s'])} − "
        f"travail hors temps d'envoi {seconds(n['extra_outside_time_to_send_s'])} "
        "(brouillons écartés et retours ; vérification et correction sont déjà dans le temps d'envoi).</p>"
    )


def _week_no(week: str) -> str:
    return f"S{int(week[-2:])}"


def _time_saved(t: dict[str, Any]) -> str:
    week = t["per_week"][-1]
    weeks = t["weeks"]
    return (
        _time_saved_block(week, f"Semaine {_week_no(week['week'])}")
        + _time_saved_block(
            t["cumulated"],
            f"Cumul des {len(weeks)} dernières semaines ({_week_no(weeks[0])} à {_week_no(weeks[-1])})",
        )
        + f'<p class="muted">{escape(t["feedback_time_note"])}</p>'
        f'<p class="muted">Cases masquées sous {t["min_agents"]} agents distincts par bras ; « pas assez de '
        f"données » sous 10 questions envoyées par bras. Méthode : {escape(t['method'])}.</p>"
    )


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
        ("Réponses validées réutilisées", _verified(report["verified"])),
        ("Évaluations par version", _evals(report["evals"])),
        (report["time_saved"]["title"], _time_saved(report["time_saved"])),
    ]
    body = "".join(f"<section><h2>{escape(t)}</h2>{html}</section>" for t, html in sections)
    return (
        f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Tableau de bord — '
        f"{escape(report['week'])}</title><style>{CSS}</style></head><body>"
        f"<h1>Tableau de bord hebdomadaire — {escape(report['label'])}</h1>{demo}"
        f'<p class="muted">Chiffres agrégés, jamais par agent ; toute case calculée sur moins de '
        f"{report['min_agents']} agents est masquée.</p>{body}{_trend(trend)}</body></html>"
    )


def render_pdf(report: dict[str, Any], trend: dict[str, Any] | None = None) -> bytes:
    """The same page as a PDF (WeasyPrint: pure Python over the system's Pango; imported here so
    that the app starts on a machine without Pango — the PDF is then refused with a clear 503)."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:
        raise FeatureUnavailableError(
            "PDF export needs WeasyPrint and the Pango library (apt install libpango-1.0-0 "
            "libpangoft2-1.0-0); the HTML export works / export PDF indisponible sur ce serveur : "
            "utilisez l'export HTML"
        ) from exc
    return bytes(HTML(string=render(report, trend)).write_pdf())
