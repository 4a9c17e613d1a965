"""``hra demo simulate --weeks 4 [--agents 10] [--per-week 150] [--serve]`` — fills a separate demo
store (var/demo.sqlite, marked as demo: the dashboard shows « Données de démonstration ») through the
real HTTP API (an in-process client of the real app, one token per simulated agent), then optionally
serves it. Registered on ``hra`` through the ``hra.cli`` entry point group."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress

from eval.dashboard.weeks import current_week, last_weeks, shift

demo_app = typer.Typer(
    help="Demo data for the leads' dashboard (a separate, marked store).", no_args_is_help=True
)
console = Console(soft_wrap=True)
ROLES_BESIDES_AGENTS = ("lead", "rep", "admin")


def demo_tokens(path: Path, agents: int) -> dict[str, Any]:
    """Tokens of the demo (a file beside the demo store, mode 600): one per simulated agent, each its
    own subject (``demo-agent-01`` …), plus one lead, rep and admin."""
    if path.exists():
        stored = json.loads(path.read_text())
        if len(stored["tokens"]["agent"]) == agents:
            return stored  # type: ignore[no-any-return]
    tokens = {role: [f"demo-{role}-{secrets.token_urlsafe(12)}"] for role in ROLES_BESIDES_AGENTS}
    tokens["agent"] = [f"demo-agent-{secrets.token_urlsafe(12)}" for _ in range(agents)]
    stored = {
        "tokens": tokens,
        "subjects": {f"demo-agent-{i:02d}": [t] for i, t in enumerate(tokens["agent"], start=1)},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stored, indent=1))
    path.chmod(0o600)
    return stored


def demo_settings(db: Path, tokens: dict[str, Any]) -> Any:
    from assistant.auth import AuthSettings
    from assistant.services.limits import LimitsSettings
    from assistant.settings import DraftingSettings, Settings
    from feedback.settings import FeedbackSettings

    return Settings(
        database_url=f"sqlite:///{db}",
        auth=AuthSettings.model_validate({"tokens": tokens["tokens"], "subjects": tokens["subjects"]}),
        feedback=FeedbackSettings(
            pseudonym_key_file=db.with_name(db.stem + "-pseudonym.key"),
            audit_key_file=db.with_name(db.stem + "-audit.key"),
            occurred_at_past_days=7 * 28,  # the demo fills up to 26 past weeks through the API
        ),
        drafting=DraftingSettings(control_share=0.12),
        limits=LimitsSettings(per_token_per_s=0),  # the simulation posts weeks of activity at once
    )


@demo_app.command("simulate")
def simulate(
    weeks: Annotated[
        int, typer.Option(min=1, max=26, help="Past ISO weeks to fill (the current one stays empty).")
    ] = 4,
    agents: Annotated[int, typer.Option(min=5, max=50, help="Simulated agents (one token each).")] = 10,
    per_week: Annotated[int, typer.Option(min=10, help="Questions per week.")] = 150,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same activity).")] = 7,
    db: Annotated[Path, typer.Option(help="The demo store (recreated).")] = Path("var/demo.sqlite"),
    serve: Annotated[bool, typer.Option(help="Then serve the demo store on --port.")] = False,
    port: Annotated[int, typer.Option(help="Port of --serve.")] = 8001,
) -> None:
    """Simulate agents' activity through the HTTP API into a fresh demo store."""
    from fastapi.testclient import TestClient

    from assistant.app import create_app
    from eval.demo import Simulation, agents_from, load_questions, mark_demo

    db.unlink(missing_ok=True)
    tokens = demo_tokens(db.with_name(db.stem + "-tokens.json"), agents)
    settings = demo_settings(db, tokens)
    app = create_app(settings)
    headers = [{"Authorization": f"Bearer {t}"} for t in tokens["tokens"]["agent"]]
    questions = load_questions(seed=seed)
    with TestClient(app) as client, Progress(console=console) as progress:
        sim = Simulation(client, app.state.store.engine, agents_from(headers, seed), seed)
        task = progress.add_task("Semaines simulées", total=weeks)
        for week in last_weeks(shift(current_week(), -1), weeks):
            sim.week(week, per_week, questions)
            progress.advance(task)
        mark_demo(app.state.store.engine)
    console.print(
        f"[green]{len(sim.posted.drafts)} brouillons et {len(sim.posted.events)} événements[/] "
        f"écrits par l'API dans {db} ({agents} agents, {weeks} semaines)."
    )
    console.print(
        f"Jeton chef de projet : {tokens['tokens']['lead'][0]}  (tous les jetons : {db.stem}-tokens.json)"
    )
    if serve:
        serve_demo(db, port)
    else:
        console.print(f"Pour le voir : hra demo serve --db {db}  puis http://127.0.0.1:8001/dashboard/")


@demo_app.command("serve")
def serve_demo(
    db: Annotated[Path, typer.Option(help="The demo store written by `hra demo simulate`.")] = Path(
        "var/demo.sqlite"
    ),
    port: Annotated[int, typer.Option(help="Port (the app itself keeps :8000).")] = 8001,
) -> None:
    """Serve the demo store (its own tokens) on 127.0.0.1:<port>."""
    import uvicorn

    from assistant.app import create_app

    tokens_file = db.with_name(db.stem + "-tokens.json")
    if not db.exists() or not tokens_file.exists():
        raise typer.BadParameter(f"no demo store {db}: run `hra demo simulate` first")
    tokens = json.loads(tokens_file.read_text())
    console.print(
        f"Tableau de bord de démonstration : http://127.0.0.1:{port}/dashboard/  — jeton chef de projet : "
        f"{tokens['tokens']['lead'][0]}  (Ctrl+C pour arrêter)"
    )
    uvicorn.run(create_app(demo_settings(db, tokens)), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    demo_app()
