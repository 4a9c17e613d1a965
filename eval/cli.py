"""``hra eval …`` — registered on the ``hra`` CLI through the ``hra.cli`` entry point group
(``assistant`` never imports ``eval``).

- ``hra eval run --dataset gold|feedback|<path.jsonl> [--release auto|<json>] [--llm/--no-llm]``
- ``hra eval compare A B [--threshold 0.02]``
- ``hra eval export-feedback [--out DIR]``
- ``hra eval runs`` (the stored runs, newest first)
- ``hra eval release-notes --title … --change … [--change …] [--since YYYY-MM-DD] [--dry-run]``
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from assistant.progress import progress_bar

eval_app = typer.Typer(
    help="Evaluation: score the gold set or feedback sets, store and compare runs.", no_args_is_help=True
)
console = Console(soft_wrap=True)


def _engine() -> Engine:
    from assistant.settings import Settings
    from feedback.db import make_engine, migrate

    url = Settings().database_url
    migrate(url)
    return make_engine(url)


def _fmt(value: float | None, digits: int = 4) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def _dataset(name: str, engine: Engine, limit: int | None) -> tuple[str, list[dict[str, Any]]]:
    from eval.feedback_datasets import export, load_jsonl

    if name == "feedback":
        path = export(engine)
        return path.name, load_jsonl(path)[:limit] if limit else load_jsonl(path)
    path = Path(name)
    if not path.exists():
        raise typer.BadParameter(f"no dataset {name!r}: use gold, feedback or a JSONL path")
    rows = load_jsonl(path)
    return path.name, rows[:limit] if limit else rows


@eval_app.command("run")
def run(
    dataset: Annotated[str, typer.Option(help="gold | feedback | path to a JSONL of samples.")] = "gold",
    release: Annotated[str, typer.Option(help="auto, or a JSON object of release fields.")] = "auto",
    llm: Annotated[
        bool | None, typer.Option("--llm/--no-llm", help="LLM-judged ragas metrics (default: if configured).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Score only the first N samples (smoke runs).")] = None,
) -> None:
    """Score a dataset, store the run with its release, print the scores."""
    from eval.feedback_datasets import to_ragas
    from eval.metrics.llm_judged import configured_judge, judge_metrics
    from eval.runs import RunStore, majority_release
    from eval.runs import release as make_release
    from eval.scoring import applicable, offline_metrics, run_of

    engine = _engine()
    judge = configured_judge() if llm is not False else None
    if llm and judge is None:
        console.print(
            "[red]No LLM configured[/red] (HRA_LLM__PROVIDER / MISTRAL_API_KEY / HRA_LLM__BASE_URL)."
        )
        raise typer.Exit(2)
    with progress_bar(console) as progress:
        if dataset == "gold":
            from eval.gold import gold_samples, load_gold

            name = "gold:questions-dev.jsonl"
            samples, auto = gold_samples(load_gold(limit=limit), progress=progress)
        else:
            name, samples = _dataset(dataset, engine, limit)
            auto = majority_release(samples)
        if not samples:
            console.print(f"[yellow]Dataset {name} is empty: nothing to score.[/yellow]")
            raise typer.Exit(1)
        to_ragas(samples)  # the same rows as a ragas EvaluationDataset: fails early on a bad column
        chosen = auto if release == "auto" else make_release(**json.loads(release))
        metrics = [*offline_metrics(), *(judge_metrics(judge) if judge is not None else [])]
        result = run_of(name, samples, applicable(metrics, samples), chosen, progress)
    run_id = RunStore(engine).add(result)
    table = Table("metric", "value", "95 % CI", "n", title=f"run {run_id} — {name} ({result.n} samples)")
    for metric, (value, low, high, n) in sorted(result.summaries.items()):
        table.add_row(metric, _fmt(value), f"[{_fmt(low)}, {_fmt(high)}]", str(n))
    console.print(table)
    console.print(f"release: {json.dumps(chosen, ensure_ascii=False)}")


@eval_app.command("compare")
def compare(
    a: Annotated[int, typer.Argument(help="Baseline run id.")],
    b: Annotated[int, typer.Argument(help="Candidate run id.")],
    threshold: Annotated[
        float, typer.Option(help="A drop larger than this (and significant) is a regression.")
    ] = 0.02,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 13,
) -> None:
    """Per-metric B − A with bootstrap 95 % intervals; exit code 1 when a regression is flagged."""
    from eval.compare import compare_runs
    from eval.runs import RunStore

    store = RunStore(_engine())
    try:
        rows = compare_runs(store.get(a), store.get(b), threshold, seed)
    except KeyError as exc:
        raise typer.BadParameter(str(exc)) from exc
    table = Table("metric", f"run {a}", f"run {b}", "Δ (B − A)", "95 % CI", "n", "paired", "")
    for r in rows:
        table.add_row(
            r["metric"],
            _fmt(r["a"]),
            _fmt(r["b"]),
            _fmt(r["delta"]),
            f"[{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]",
            str(r["n"]),
            "yes" if r["paired"] else "no",
            "[red]REGRESSION[/red]" if r["regression"] else "",
        )
    console.print(table)
    flagged = [r["metric"] for r in rows if r["regression"]]
    if flagged:
        console.print(f"[red]Regressions beyond {threshold}:[/red] {', '.join(flagged)}")
        raise typer.Exit(1)
    console.print("No regression beyond the threshold.")


@eval_app.command("export-feedback")
def export_feedback(
    out: Annotated[Path, typer.Option(help="Directory of the versioned datasets.")] = Path(
        "var/eval/datasets"
    ),
) -> None:
    """Write the feedback-derived dataset (masked text only) as feedback-YYYY-MM-DD-<hash8>.jsonl."""
    from eval.feedback_datasets import export, load_jsonl

    path = export(_engine(), out)
    console.print(f"{path} — {len(load_jsonl(path))} samples")


@eval_app.command("runs")
def runs(limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20) -> None:
    """The stored runs, newest first."""
    from eval.runs import RunStore

    table = Table("id", "created", "dataset", "release", "n")
    for r in RunStore(_engine()).list_runs(limit):
        table.add_row(
            str(r["id"]),
            str(r["created_at"])[:19],
            r["dataset"]["name"],
            json.dumps(r["release"], ensure_ascii=False),
            str(r["n"]),
        )
    console.print(table)


@eval_app.command("release-notes")
def release_notes(
    title: Annotated[str, typer.Option(help="The release's title, for agents (French).")],
    change: Annotated[list[str], typer.Option(help="One change, said for agents; repeat the option.")],
    since: Annotated[
        str | None,
        typer.Option(help="Feedback on drafts since this day (YYYY-MM-DD); default: the last entry's date."),
    ] = None,
    file: Annotated[Path | None, typer.Option(help="Default: the panel's HRA_CHANGELOG__PATH.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the entry, write nothing.")] = False,
) -> None:
    """Write this release's entry at the top of the agents' « Nouveautés », with the feedback
    (thumbs-down reasons, discards, example draft ids) that motivated it."""
    from datetime import UTC, date, datetime, timedelta

    from assistant.settings import Settings
    from eval import release_notes as notes

    settings = Settings()
    path = file or settings.changelog.path
    try:
        start = date.fromisoformat(since) if since else notes.last_entry_date(path)
    except ValueError as exc:
        raise typer.BadParameter(
            f"--since {since!r}: expected YYYY-MM-DD / date attendue AAAA-MM-JJ"
        ) from exc
    today = datetime.now(UTC).date()
    start = start or today - timedelta(days=7)
    motivation = notes.motivation(_engine(), start)
    try:
        text = notes.entry(
            today, title, change, notes.feedback_line(motivation, settings.feedback.min_agents_per_cell)
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if dry_run:
        console.print(text)
        return
    notes.prepend(path, text)
    console.print(
        f"{path}: entry of {today.isoformat()} written ({motivation.down} thumbs-down, "
        f"{motivation.discarded} discards since {start.isoformat()})"
    )
