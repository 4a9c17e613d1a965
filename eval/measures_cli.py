"""``hra measures --week 2026-W48 [--weeks N]`` — time saved (control arm) and the extra work, per
week and cumulated, as rich tables. Registered on ``hra`` through the ``hra.cli`` entry point group.
Aggregates only: cells from fewer than ``--min-agents`` distinct agents are masked."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from eval.measures import iso_week

measures_app = typer.Typer(
    help="Temps gagné (bras témoin) et travail induit par la machine, par semaine et cumulé.",
    invoke_without_command=True,
)
console = Console(soft_wrap=True)


def _engine() -> Any:
    from assistant.settings import Settings
    from feedback.db import make_engine, migrate

    url = Settings().database_url
    migrate(url)
    return make_engine(url)


def _ci(cell: dict[str, Any], key: str) -> str:
    lo, hi = cell[f"{key}_ci95_s"]
    return f"{cell[f'{key}_s']:+.1f} [{lo:+.1f} ; {hi:+.1f}]"


def saved_table(title: str, block: dict[str, Any]) -> Table:
    table = Table(title=title)
    for name in (
        "Thème",
        "n témoin",
        "n assisté",
        "agents",
        "Δ médianes (s) [IC 95 %]",
        "Hodges–Lehmann (s) [IC 95 %]",
        "Puissance / statut",
    ):
        table.add_column(name)
    for cell in [block["overall"], *block["per_topic"]]:
        if cell["status"] != "ok":
            table.add_row(
                cell["cell"],
                str(cell.get("n_control", "—")),
                str(cell.get("n_assisted", "—")),
                "—",
                "—",
                "—",
                f"{cell['status']} : {cell['reason']}",
            )
            continue
        table.add_row(
            cell["cell"],
            str(cell["n_control"]),
            str(cell["n_assisted"]),
            str(cell["agents"]),
            _ci(cell, "median_difference"),
            _ci(cell, "hodges_lehmann"),
            cell["power_note"],
        )
    return table


def extra_table(title: str, block: dict[str, Any]) -> Table:
    extra, net = block["extra_work"], block["net"]
    table = Table(title=title)
    for name in ("Composante", "s / question assistée", "minutes au total", "part du temps d'envoi"):
        table.add_column(name)
    if extra["status"] != "ok":
        table.add_row(extra["status"], extra.get("reason", ""), "", "")
        return table
    labels = {
        "verification": "vérification (sources ouvertes)",
        "correction": "correction (édition active)",
        "false_positives": "brouillons écartés",
        "feedback": "avis « pas utile » (borne haute)",
    }
    for key, label in labels.items():
        share = extra["share_of_assisted_time_to_send"][key]
        table.add_row(
            label,
            f"{extra['per_question_s'][key]:.1f}",
            f"{extra['total_minutes'][key]:.1f}",
            "—" if share is None else f"{100 * share:.1f} %",
        )
    table.add_row("régénérations / question", f"{extra['regenerations_per_question']:.3f}", "", "")
    table.add_row(
        "faits/sources inventés (👎) / question",
        f"{extra['invented_fact_or_source_per_question']:.3f}",
        "",
        "",
    )
    table.add_row("alertes à vérifier / question", f"{extra['flags_per_question']:.3f}", "", "")
    if net["status"] == "ok":
        lo, hi = net["net_ci95_s"]
        table.add_row(
            "EFFET NET (s / question)",
            f"{net['net_saved_per_question_s']:+.1f} [{lo:+.1f} ; {hi:+.1f}]",
            "",
            "",
        )
    return table


@measures_app.callback()
def main(
    week: Annotated[str, typer.Option(help="ISO week, e.g. 2026-W48 (default: this week)")] = "",
    weeks: Annotated[int, typer.Option(min=1, max=104, help="How many weeks ending with --week")] = 1,
    min_agents: Annotated[
        int, typer.Option(min=5, help="Distinct agents per arm below which a cell is masked")
    ] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON aggregates instead")] = False,
) -> None:
    """Temps gagné par question (témoin − assisté) et travail induit par la machine."""
    from datetime import date

    from eval.measures_store import week_measures

    week = week or iso_week(date.today())
    result = week_measures(_engine(), week, min_agents=min_agents, weeks=weeks)
    if as_json:
        console.print_json(json.dumps(result, ensure_ascii=False))
        return
    for wk in result["per_week"]:
        console.print(saved_table(f"Temps gagné — {wk['week']}", wk))
    if weeks > 1:
        console.print(
            saved_table(
                f"Temps gagné — cumul {result['weeks'][0]} → {result['weeks'][-1]}", result["cumulated"]
            )
        )
    console.print(extra_table("Travail induit (bras assisté) et effet net — cumul", result["cumulated"]))
    r = result["cumulated"]["retypes"]
    console.print(
        f"Questions témoin reposées comme nouvelle question : {r['control_retyped']} "
        f"sur {r['control_questions']} (comptées dans le bras témoin)."
    )
    console.print(result["feedback_time_note"])
