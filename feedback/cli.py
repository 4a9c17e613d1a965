"""``hra audit verify|checkpoint|purge`` — the audit log from the command line.

Registered by assistant/cli.py as ``hra audit`` (feedback must not import assistant, so settings
are read here from the same environment variables: HRA_DATABASE_URL, HRA_FEEDBACK__AUDIT_KEY — the
Ed25519 seed signing checkpoints). ``hra audit verify --bundle`` checks an exported bundle with the
standalone verifier (feedback/verifier/verify_audit.py): no database, no secret.
Exit codes: 0 the log verifies, 1 it does not (or the command refused), 2 usage/configuration error.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from dotenv import load_dotenv
from pydantic import SecretStr
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from feedback.audit import (
    AuditError,
    Checkpoint,
    VerifyReport,
    latest_checkpoint,
    make_checkpoint,
    purge,
    purge_drafts,
    verify,
)
from feedback.db import make_engine
from feedback.keys import KeyMissingError, load_key
from feedback.settings import FeedbackSettings
from feedback.verifier.verify_audit import verify_bundle

audit_app = typer.Typer(
    help="Journal d'audit des retours : vérifier, signer un point de contrôle, purger. / "
    "Feedback audit log: verify, sign a checkpoint, purge payloads.",
    no_args_is_help=True,
)
console = Console(soft_wrap=True)  # reports are copied into tickets: never break a line


@audit_app.callback()
def _read_dotenv() -> None:
    """The app reads ./.env (pydantic-settings); so do these commands, or an operator who configured
    the database there would verify the default SQLite file instead. Variables already set win."""
    load_dotenv(Path(".env"), override=False)


DEFAULT_DATABASE_URL = "sqlite:///var/hra.sqlite"
DatabaseUrl = Annotated[
    str, typer.Option("--database-url", envvar="HRA_DATABASE_URL", help="Feedback store URL.")
]
KeyFile = Annotated[
    Path,
    typer.Option(
        "--key-file",
        envvar="HRA_FEEDBACK__AUDIT_KEY_FILE",
        help="Hex Ed25519 seed file signing checkpoints (used when HRA_FEEDBACK__AUDIT_KEY is unset).",
    ),
]


def retention_days() -> int:
    """HRA_FEEDBACK__RETENTION_DAYS, as the app reads it (default 365)."""
    return int(os.environ.get("HRA_FEEDBACK__RETENTION_DAYS", FeedbackSettings().retention_days))


def audit_key(key_file: Path, generate: bool) -> bytes | None:
    """The checkpoint key: env HRA_FEEDBACK__AUDIT_KEY (hex), else the key file; generated (mode
    600) only when asked and not in prod — a prod key must be provisioned, never invented."""
    value = os.environ.get("HRA_FEEDBACK__AUDIT_KEY")
    allow_generate = generate and os.environ.get("HRA_ENV", "dev") != "prod"
    try:
        return load_key(SecretStr(value) if value else None, key_file, allow_generate)
    except KeyMissingError:
        return None
    except ValueError as exc:  # not hex
        _fail(f"audit key is not hexadecimal / clé d'audit illisible: {exc}")


def say(message: str) -> None:
    # soft_wrap: no hard line breaks inside a reason (greppable, and the terminal wraps anyway)
    console.print(message, soft_wrap=True)


def _fail(message: str, code: int = 2) -> NoReturn:
    say(f"[red]{message}[/red]")
    raise typer.Exit(code)


def _engine(database_url: str) -> Engine:
    # SQLite would silently create an empty file and then report missing tables: say it plainly.
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:" and not Path(path).exists():
            _fail(f"no database at {path} / base introuvable (HRA_DATABASE_URL ?)")
    return make_engine(database_url)


def _print_report(report: VerifyReport) -> None:
    if report.ok:
        say(f"[green]OK[/green] {report.reason}")
    else:
        where = f" — entrée/entry {report.first_broken_seq}" if report.first_broken_seq else ""
        say(f"[red bold]ROMPU / BROKEN[/red bold]{where}")
        say(report.reason)
    say(f"tree_size={report.tree_size} head_hash={report.head_hash}")


@audit_app.command("verify")
def verify_cmd(
    from_checkpoint: Annotated[
        Path | None,
        typer.Option(
            "--from-checkpoint",
            help="Checkpoint JSON kept outside the database (default: the latest stored one).",
        ),
    ] = None,
    bundle: Annotated[
        Path | None,
        typer.Option("--bundle", help="Verify this exported bundle instead of the database (no key needed)."),
    ] = None,
    receipt: Annotated[
        Path | None, typer.Option("--receipt", help="With --bundle: a checkpoint the bundle must extend.")
    ] = None,
    public_key: Annotated[
        str | None, typer.Option("--public-key", help="With --bundle: expected public key or fingerprint.")
    ] = None,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    key_file: KeyFile = Path("var/audit.key"),
) -> None:
    """Recompute the hash chain and report the first broken entry (exit 1 when broken)."""
    if bundle is not None:
        _verify_bundle(bundle, receipt, public_key)
    engine = _engine(database_url)
    key = audit_key(key_file, generate=False)
    try:
        if from_checkpoint is not None:
            try:
                checkpoint: Checkpoint | None = Checkpoint.from_json(
                    from_checkpoint.read_text(encoding="utf-8")
                )
            except (OSError, AuditError) as exc:
                _fail(f"cannot read checkpoint {from_checkpoint}: {exc}")
        else:
            checkpoint = latest_checkpoint(engine)
        if checkpoint is not None and key is None:
            say("[yellow]pas de clé : signature non vérifiée / no key: signature not checked[/yellow]")
        # A payload missing from an event younger than the retention period was not purged by us.
        report = verify(engine, checkpoint, key, retention_days=retention_days())
    except SQLAlchemyError as exc:
        _fail(f"cannot read the feedback store / base illisible: {exc.__class__.__name__}: {exc}")
    finally:
        engine.dispose()
    _print_report(report)
    raise typer.Exit(0 if report.ok else 1)


def _verify_bundle(bundle: Path, receipt: Path | None, public_key: str | None) -> NoReturn:
    try:
        data = json.loads(bundle.read_text(encoding="utf-8"))
        receipt_data = json.loads(receipt.read_text(encoding="utf-8")) if receipt else None
    except (OSError, ValueError) as exc:
        _fail(f"fichier illisible / unreadable file: {exc}")
    ok, verdict, _ = verify_bundle(data, receipt_data, public_key)
    typer.echo(verdict)
    raise typer.Exit(0 if ok else 1)


@audit_app.command("checkpoint")
def checkpoint_cmd(
    out: Annotated[Path | None, typer.Option("--out", help="Also write the JSON to this file.")] = None,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    key_file: KeyFile = Path("var/audit.key"),
) -> None:
    """Verify the log, then sign and store its current head; print the checkpoint JSON (hand it to
    the workers' representatives: a later rewrite or truncation will not match it)."""
    key = audit_key(key_file, generate=True)
    if key is None:
        _fail("no audit key: set HRA_FEEDBACK__AUDIT_KEY / clé d'audit absente")
    engine = _engine(database_url)
    try:
        cp = make_checkpoint(engine, key)
    except AuditError as exc:
        _fail(str(exc), code=1)
    except SQLAlchemyError as exc:
        _fail(f"cannot write the feedback store / base inaccessible: {exc}")
    finally:
        engine.dispose()
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(cp.to_json() + "\n", encoding="utf-8")
    typer.echo(cp.to_json())  # plain stdout: the JSON must stay parseable (no rich markup/wrapping)


@audit_app.command("purge")
def purge_cmd(
    before: Annotated[
        datetime,
        typer.Option("--before", formats=["%Y-%m-%d"], help="Purge payloads of events before this UTC day."),
    ],
    yes: Annotated[bool, typer.Option("--yes", help="Really purge (irreversible).")] = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
) -> None:
    """Drop event payloads, and drafts' questions, texts and cited sentences, older than --before
    (retention). Hashes stay: the chain still verifies."""
    cutoff = before.replace(tzinfo=UTC)
    keep_after = datetime.now(UTC) - timedelta(days=retention_days())
    if cutoff > keep_after:
        _fail(
            f"refus : {cutoff.date()} est dans la durée de conservation ({retention_days()} jours) / "
            f"refused: {cutoff.date()} is within the retention period ({retention_days()} days)",
            code=1,
        )
    if not yes:
        _fail(
            f"refus : la purge est irréversible, relancer avec --yes (avant {cutoff.date()}) / "
            "refused: purging is irreversible, re-run with --yes",
            code=1,
        )
    engine = _engine(database_url)
    try:
        count = purge(engine, cutoff)
        drafts = purge_drafts(engine, cutoff)
    except SQLAlchemyError as exc:
        _fail(f"cannot write the feedback store / base inaccessible: {exc}")
    finally:
        engine.dispose()
    say(
        f"{count} événements purgés et {drafts} brouillons vidés avant le {cutoff.date()} / "
        f"{count} events purged and {drafts} drafts emptied before {cutoff.date()}"
    )
