"""``hra`` — the command line: ``hra kb ingest|sync|status|search|export-vectors``, ``hra serve``,
``hra db status|migrate``, ``hra settings reference``."""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from assistant.progress import progress_bar
from assistant.settings import Settings
from feedback.cli import audit_app

if TYPE_CHECKING:
    from knowledge_base.shared_store import SharedKb

app = typer.Typer(help="HR drafting assistant — knowledge base and service commands.", no_args_is_help=True)
kb_app = typer.Typer(help="Knowledge base: ingest sources, show status, search.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
app.add_typer(
    audit_app, name="audit", help="Audit log: verify the hash chain, export a checkpoint, purge old payloads."
)
# Other packages' command groups (e.g. `hra eval`, from eval/cli.py) come in through the `hra.cli`
# entry point group: `assistant` never imports `eval` (import direction).
for _ep in entry_points(group="hra.cli"):
    app.add_typer(_ep.load(), name=_ep.name)
console = Console(soft_wrap=True)  # never break a path or a command the operator will copy


@kb_app.command("ingest")
def kb_ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (default: HRA_KB__SOURCES).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Rebuild even if nothing changed.")] = False,
) -> None:
    """Load, chunk, embed what changed and swap in a new index. Bad inputs are reported, not fatal."""
    from knowledge_base.ingest import IngestError, ingest, ingest_shared

    settings = Settings()
    with progress_bar(console) as progress:
        try:
            shared = _shared_kb(settings)
            if shared is not None:  # published to the database: every replica follows
                report = ingest_shared(shared, paths or None, progress=progress, force=force)
            else:
                report = ingest(settings.kb, paths or None, progress=progress, force=force)
        except IngestError as exc:
            console.print(f"[red]Ingest failed:[/red] {exc}")
            raise typer.Exit(1) from exc
    console.print(
        f"[bold]{report.status}[/bold] kb_version={report.kb_version} "
        f"(previous {report.previous_kb_version}) — {report.documents} documents, {report.chunks} chunks"
    )
    console.print(
        f"added {len(report.added)}, changed {len(report.changed)}, removed {len(report.removed)}; "
        f"embedded {report.embedded or 0}; {report.seconds.get('total', 0):.1f} s"
    )
    for issue in report.issues:  # a file's text is printed as text, never as console markup
        console.print(f"[yellow]skipped[/yellow] {escape(f'{issue.file} [{issue.record}]: {issue.reason}')}")


def _shared_kb(settings: Settings) -> SharedKb | None:
    """The shared KB store when HRA_KB__STORE=database (its tables migrated first), else None."""
    if settings.kb.store != "database":
        return None
    from feedback.db import make_engine, migrate
    from knowledge_base.shared_store import SharedKb

    migrate(settings.database_url)
    return SharedKb(make_engine(settings.database_url), settings.kb)


def _sync_kb_path(settings: Settings, kb: Path | None) -> Path:
    """The hr-fr JSONL file a sync rewrites: ``--kb``, else the first configured ``.jsonl`` source."""
    if kb is not None:
        return kb
    for source in settings.kb.sources:
        if source.suffix == ".jsonl":
            return source
        if (source / "kb.jsonl").exists():
            return source / "kb.jsonl"
    raise typer.BadParameter("no kb.jsonl among HRA_KB__SOURCES; pass --kb")


def _print_sync(sync: dict[str, object], limit: int | None = None) -> None:
    """One source's last sync: package@version, counts, then the titles added / changed / removed —
    upstream text printed as text (a title with « [/b] » would otherwise stop the command)."""
    counts = {k: len(sync[k]) for k in ("added", "changed", "removed")}  # type: ignore[arg-type]
    console.print(
        f"sync {sync['source']}: {sync['package']}@{sync['version']} ({sync['synced_at']}) — "
        f"{sync['documents']} documents: added {counts['added']}, changed {counts['changed']}, "
        f"removed {counts['removed']}, unchanged {sync['unchanged']}, "
        f"{len(sync['issues'])} upstream record(s) skipped"  # type: ignore[arg-type]
    )
    for kind, colour in (("added", "green"), ("changed", "cyan"), ("removed", "red")):
        items: list[dict[str, str]] = sync[kind]  # type: ignore[assignment]
        for item in items[:limit] if limit else items:
            console.print(f"  [{colour}]{kind}[/{colour}] {escape(item['id'])} — {escape(item['title'])}")
        if limit and len(items) > limit:
            console.print(f"  … and {len(items) - limit} more {kind}")
    for issue in sync["issues"]:  # type: ignore[attr-defined]
        console.print(f"  [yellow]skipped[/yellow] {escape(issue['record'])}: {escape(issue['reason'])}")
    _print_review(sync)


def _print_review(sync: dict[str, object]) -> None:
    """What the sync's review read (``SyncReport.review_summary``): records held back and why, and how
    many values wait for a reader (upstream text printed as text: « [b] » in a forged fiche is no style)."""
    review: dict[str, Any] = sync.get("review") or {}  # type: ignore[assignment]
    if not review:
        return
    held = review["held"]
    if held:
        kept_back = sum(not record["accepted"] for record in held)
        console.print(f"[red]held[/red] {len(held)} record(s), {kept_back} not written:")
    for record in held:
        reasons = escape(" ; ".join(record["reasons"]))
        verdict = "[yellow]accepted[/yellow]" if record["accepted"] else "[red]held[/red]"
        console.print(f"  {verdict} {record['id']} — {escape(record['title'])}: {reasons}")
    sentences = review.get("sentences_changed", 0)  # absent from syncs recorded before it was counted
    console.print(
        f"review: {review['values_listed']} value(s) the records did not give before "
        f"({review['values_new_to_base']} given nowhere in the base) and {sentences} sentence(s) reworded, "
        f"added or removed in {review['records_read']} added or changed record(s): read them before drafts "
        "repeat them"
    )


@kb_app.command("sync")
def kb_sync(
    source: Annotated[str, typer.Argument(help="The source to refresh: fiches-travail.")],
    version: Annotated[
        str | None, typer.Option(help="Package version to fetch (default: the latest).")
    ] = None,
    file: Annotated[
        Path | None, typer.Option(help="A package tarball already downloaded (offline; no npm).")
    ] = None,
    kb: Annotated[
        Path | None, typer.Option(help="The kb.jsonl to update (default: the configured one).")
    ] = None,
    do_ingest: Annotated[
        bool, typer.Option("--ingest/--no-ingest", help="Re-index incrementally after the sync.")
    ] = True,
    dry_run: Annotated[bool, typer.Option(help="Report what would change; write nothing.")] = False,
    accept_held: Annotated[
        bool,
        typer.Option(
            help="Write the records the review held back (instructions to a tool, links outside the "
            "trusted domains, bank details, unknown phone numbers, markup) — only after reading them; "
            "pin --version to the one reviewed."
        ),
    ] = False,
    accept: Annotated[
        list[str] | None,
        typer.Option(help="Write this held record (its id; repeat the option) — only after reading it."),
    ] = None,
    review_file: Annotated[
        Path | None,
        typer.Option(
            help="Where to write the review (Markdown). Default: sync-review-<source>.md beside kb.jsonl, "
            "or nowhere for a dry run."
        ),
    ] = None,
) -> None:
    """Fetch a source's official data package, review what it adds or changes, replace its documents
    in kb.jsonl, report and re-index."""
    from assistant.services.kb_review import SyncReviewer
    from knowledge_base.connectors import SyncError, get_connector, sync
    from knowledge_base.ingest import IngestError, ingest

    settings = Settings()
    try:
        connector = get_connector(source)
    except KeyError as exc:
        raise typer.BadParameter(str(exc)) from exc
    kb_path = _sync_kb_path(settings, kb)
    try:
        reviewer = SyncReviewer(settings.drafting.trusted_domains)
        report = sync(
            connector,
            kb_path,
            version=version,
            file=file,
            dry_run=dry_run,
            reviewer=reviewer,
            accept_held=accept_held,
            accept=accept or (),
        )
    except SyncError as exc:
        console.print(f"[red]Sync failed:[/red] {exc}")
        raise typer.Exit(1) from exc
    _print_sync({**report.to_dict(), "review": report.review_summary()})
    for unknown in sorted(set(accept or ()) - {h.id for h in report.held}):
        console.print(f"[yellow]--accept {unknown}: not held in this sync, nothing to accept[/yellow]")
    review_path = review_file or (None if dry_run else kb_path.parent / f"sync-review-{source}.md")
    if review_path is not None:
        try:
            review_path.write_text(report.review_markdown(), encoding="utf-8")
            console.print(f"review written to {review_path}")
        except OSError as exc:  # the sync itself is done and recorded; say where the review is not
            console.print(
                f"[red]review not written to {review_path}:[/red] {exc} (its summary is in sync.json)"
            )
    if report.kept_back:
        same = f"--file {file}" if file else f"--version {report.version}"  # the package that was reviewed
        console.print(
            f"[red]{len(report.kept_back)} held record(s) kept at their previous version[/red]: read them, "
            f"then `hra kb sync {source} {same} --accept ID` writes one (`--accept-held`: all of them)"
        )
    if dry_run:
        console.print(f"dry run: {kb_path} not modified")
        return
    console.print(f"{kb_path} updated; sync recorded in {kb_path.parent / 'sync.json'}")
    if not do_ingest:
        return
    try:
        result = ingest(settings.kb)
    except IngestError as exc:
        console.print(f"[red]Ingest failed:[/red] {exc}")
        raise typer.Exit(1) from exc
    console.print(
        f"ingest [bold]{result.status}[/bold] kb_version={result.kb_version}: added {len(result.added)}, "
        f"changed {len(result.changed)}, removed {len(result.removed)}; embedded {result.embedded or 0}"
    )


@kb_app.command("status")
def kb_status(
    limit: Annotated[int, typer.Option(help="Documents listed per table (oldest, most stale).")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """kb_version, documents by age, stale terms per document, the last ingest and syncs."""
    from assistant.services.kb_status import KbStatusService
    from knowledge_base.index import IndexNotReadyError, KnowledgeIndex
    from knowledge_base.index_store import IndexLayout

    settings = Settings()
    try:
        shared = _shared_kb(settings)
        if shared is not None:
            shared.follow()  # the live build, not whatever this machine last saw
        index = KnowledgeIndex.open(settings.kb)
    except IndexNotReadyError as exc:
        console.print(f"{exc}")
        raise typer.Exit(1) from exc
    status = KbStatusService(settings).status(index, limit=limit)
    if as_json:
        typer.echo(json.dumps(status, ensure_ascii=False, indent=1))
        return
    console.print(f"kb_version [bold]{status['kb_version']}[/bold]  build {status['build_id']}")
    console.print(
        f"{status['documents']} documents, {status['chunks']} chunks, embedders "
        f"{', '.join(index.manifest.config.get('embedders', []))}; "
        f"vector store: {settings.kb.chroma.url or IndexLayout(settings.kb.index_dir).chroma_dir}"
    )
    bands = ", ".join(f"{name.replace('_', ' ')}: {n}" for name, n in status["age_bands"].items())
    console.print(f"age on {status['reference_date']}: {bands}")
    _print_documents("oldest documents", status["oldest"])
    console.print(
        f"stale lexicon {status['lexicon_version']}: {status['stale_hits']} hits in "
        f"{status['documents_with_stale_terms']} documents"
    )
    _print_documents("most stale documents", status["most_stale"])
    report = status["last_ingest"]
    if report:
        console.print(
            f"last ingest {report['finished_at']}: {report['status']}, added {len(report['added'])}, "
            f"changed {len(report['changed'])}, removed {len(report['removed'])}, "
            f"{len(report['issues'])} skipped input(s)"
        )
        for issue in report["issues"]:
            console.print(
                f"  [yellow]skipped[/yellow] {issue['file']} [{issue['record']}]: {issue['reason']}"
            )
    for sync in status["syncs"]:
        _print_sync(sync, limit=20)


def _print_documents(title: str, rows: list[dict[str, object]]) -> None:
    table = Table(title=title)
    for col in ("updated", "age (years)", "stale hits", "terms", "document"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r["updated"]),
            str(r["age_years"]),
            str(r["stale_hits"]),
            ", ".join(r["stale_terms"]),  # type: ignore[arg-type]
            escape(f"{r['title']}\n{r['doc_id']}"),
        )
    console.print(table)


@kb_app.command("search")
def kb_search(
    question: Annotated[str, typer.Argument(help="The question, in French.")],
    top_k: Annotated[int, typer.Option(help="Passages to show.")] = 5,
    source: Annotated[
        list[str] | None, typer.Option(help="Restrict to a source key (sp, mt, contrib…).")
    ] = None,
    audience: Annotated[str | None, typer.Option(help="private-sector or civil-service.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Hybrid search with the reasons each passage was chosen."""
    from knowledge_base.index import IndexNotReadyError, KnowledgeIndex
    from knowledge_base.search import HybridSearcher, SearchFilters

    if audience not in (None, "private-sector", "civil-service"):
        raise typer.BadParameter("audience must be private-sector or civil-service")
    settings = Settings()
    try:
        searcher = HybridSearcher(KnowledgeIndex.open(settings.kb), settings.retrieval)
    except IndexNotReadyError as exc:
        console.print(str(exc))
        raise typer.Exit(1) from exc
    hits = searcher.search(question, SearchFilters(tuple(source or ()), audience), top_k)  # type: ignore[arg-type]
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "chunk_id": h.chunk.id,
                        "title": h.chunk.metadata.get("title"),
                        "url": h.chunk.metadata.get("url"),
                        "doc_rank": h.doc_rank,
                        "fused": h.fused,
                        "scores": h.scores,
                        "ranks": h.ranks,
                        "matched_terms": h.matched_terms,
                    }
                    for h in hits
                ],
                ensure_ascii=False,
                indent=1,
            )
        )
        return
    table = Table(title=f"« {question} »", show_lines=True)
    for col in ("#", "passage", "why"):
        table.add_column(col)
    for h in hits:
        meta = h.chunk.metadata
        why = "\n".join(
            [f"{name}: rank {h.ranks[name]}, score {h.scores[name]}" for name in h.ranks]
            + [f"{name}: document rank {rank}" for name, rank in h.doc_ranks.items() if name not in h.ranks]
            + [f"fused {h.fused}", "terms: " + (", ".join(h.matched_terms) or "—")]
        )
        where = f"[bold]{escape(str(meta.get('title')))}[/bold]" + (
            f" › {escape(str(meta.get('heading_path')))}" if meta.get("heading_path") else ""
        )
        passage = escape(f"{meta.get('url') or ''}\n{h.chunk.text[:300]}…")  # « [1] », « [/i] » as written
        table.add_row(str(h.doc_rank), f"{where}\n{passage}", escape(why))
    console.print(table)


@kb_app.command("export-vectors")
def kb_export_vectors() -> None:
    """Write the live build's vectors (float16) to the shipped-vectors folder (maintainers)."""
    from knowledge_base.embedders import export_shipped_vectors, make_embedder
    from knowledge_base.embeddings import EmbeddingCache, cache_key
    from knowledge_base.index import KnowledgeIndex

    settings = Settings()
    index = KnowledgeIndex.open(settings.kb)
    cache = EmbeddingCache(settings.kb.index_dir / "embeddings.sqlite")
    for name in index.manifest.config.get("embedders", []):
        model_id = make_embedder(name, settings.kb.embeddings).model_id
        titles = {str(index.chunks[pos[0]].metadata.get("title", "")) for pos in index.doc_chunks}
        keys = [cache_key(model_id, c.embed_text) for c in index.chunks] + [
            cache_key(model_id, t) for t in titles
        ]
        path = export_shipped_vectors(cache, keys, settings.kb.embeddings.shipped_vectors_dir, model_id)
        console.print(f"{name}: {len(keys)} vectors → {path} ({path.stat().st_size / 1e6:.1f} MB)")


@app.command("serve")
def serve() -> None:
    """Start the HTTP service (builds the index first if there is none)."""
    import uvicorn

    from assistant.app import create_app
    from feedback.db import migrate
    from knowledge_base.index_store import IndexLayout
    from knowledge_base.ingest import ingest, ingest_shared

    settings = Settings()
    if settings.server.workers == 1:
        uvicorn.run(create_app(settings), host=settings.server.host, port=settings.server.port)
        return
    # Several processes: what must exist once (dev keys and tokens, the schema) is made here,
    # before they start, so they never race to create it.
    shared = _shared_kb(settings)
    if shared is not None:
        shared.follow()
        if settings.build_index_on_start and shared.pointer() is None:
            ingest_shared(shared)
    elif settings.build_index_on_start and IndexLayout(settings.kb.index_dir).current() is None:
        ingest(settings.kb)
    create_app(settings)
    migrate(settings.database_url)
    uvicorn.run(
        "assistant.app:app_from_environment",
        factory=True,
        host=settings.server.host,
        port=settings.server.port,
        workers=settings.server.workers,
        timeout_worker_healthcheck=settings.server.worker_healthcheck_timeout_s,
    )


db_app = typer.Typer(
    help="The store's schema (drafts, events, audit log, shared KB): status and migration.",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")


def _database_label(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@db_app.command("status")
def db_status() -> None:
    """The database's schema revision against this release's head; exit 1 when behind or unknown."""
    from sqlalchemy.exc import SQLAlchemyError

    from feedback.db import UnknownRevisionError, schema_status

    settings = Settings()
    try:
        status = schema_status(settings.database_url)
    except UnknownRevisionError as exc:
        console.print(f"[red]{_database_label(settings.database_url)}:[/red] {exc}")
        raise typer.Exit(1) from exc
    except SQLAlchemyError as exc:  # unreachable server, bad credentials: say so without parameters
        console.print(
            f"[red]{_database_label(settings.database_url)}: cannot connect[/red] ({type(exc).__name__})"
        )
        raise typer.Exit(1) from exc
    console.print(f"database {_database_label(settings.database_url)}")
    console.print(
        f"revision {status.current or '(empty: never migrated)'} — this release's head {status.head}"
    )
    if status.up_to_date:
        console.print("[green]up to date[/green]")
        return
    console.print(f"[yellow]{len(status.pending)} migration(s) pending:[/yellow] {', '.join(status.pending)}")
    raise typer.Exit(1)


@db_app.command("migrate")
def db_migrate(
    revision: Annotated[str, typer.Option(help="Target revision (default: this release's head).")] = "head",
) -> None:
    """Upgrade the schema, once, before starting the replicas of a new release (OPERATIONS.md § 5)."""
    from sqlalchemy.exc import SQLAlchemyError

    from feedback.db import UnknownRevisionError, migrate, schema_status

    settings = Settings()
    label = _database_label(settings.database_url)
    try:
        before = schema_status(settings.database_url)
        migrate(settings.database_url, revision)
        after = schema_status(settings.database_url)
    except UnknownRevisionError as exc:
        console.print(f"[red]{label}:[/red] {exc}")
        raise typer.Exit(1) from exc
    except SQLAlchemyError as exc:
        console.print(
            f"[red]{label}: migration failed[/red] ({type(exc).__name__}); "
            "the upgrade runs in one transaction (PostgreSQL rolls all of it back); if in doubt, restore "
            "the backup taken before it (docs/OPERATIONS.md § 5)"
        )
        raise typer.Exit(1) from exc
    if before.current == after.current:
        console.print(f"{label}: already at {after.current}, nothing to do")
    else:
        console.print(f"{label}: {before.current or '(empty)'} → {after.current}")


settings_app = typer.Typer(
    help="Settings: every HRA_… variable, from the settings classes.", no_args_is_help=True
)
app.add_typer(settings_app, name="settings")


@settings_app.command("reference")
def settings_reference(
    out: Annotated[
        Path | None,
        typer.Option(help="Rewrite this document's <!-- settings:begin/end --> section (default: print)."),
    ] = None,
) -> None:
    """Every setting as Markdown tables: variable, type, default (secrets hidden), description."""
    from assistant.settings_reference import render, write_reference

    if out is None:
        typer.echo(render(), nl=False)
        return
    try:
        changed = write_reference(out)
    except (OSError, ValueError) as exc:
        console.print(f"[red]{out}:[/red] {exc}")
        raise typer.Exit(1) from exc
    console.print(f"{out}: {'updated' if changed else 'already up to date'}")


if __name__ == "__main__":
    app()
