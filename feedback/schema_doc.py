"""The schema section of feedback/AUDIT.md, generated from the real migrations so it cannot drift.

``python -m feedback.schema_doc`` migrates a temporary SQLite database to head, describes what
``sqlalchemy.inspect`` finds there (in French: the audience is workers' representatives) and
rewrites the section between the markers. A test fails when the committed section is stale.
The output is deterministic: sorted tables and indexes, no dates, no paths.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic.migration import MigrationContext
from sqlalchemy import Inspector, inspect

from feedback.db import make_engine, migrate

AUDIT_MD = Path(__file__).parent / "AUDIT.md"
START, END = "<!-- schema:start -->", "<!-- schema:end -->"


def render_schema_markdown(url: str | None = None) -> str:
    """Markdown of the schema. Without ``url``: a temporary SQLite database migrated to head.
    With ``url``: that database as it is (not migrated), e.g. to document a production copy."""
    if url is not None:
        return _render_url(url)
    with tempfile.TemporaryDirectory(prefix="hra-schema-") as tmp:
        head_url = f"sqlite:///{Path(tmp) / 'schema.db'}"
        migrate(head_url)
        return _render_url(head_url)


def _render_url(url: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            revision = MigrationContext.configure(connection).get_current_revision()
            insp = inspect(connection)
            parts = [f"Révision alembic : `{revision or '(aucune)'}`"]
            parts += [_table(insp, table) for table in sorted(insp.get_table_names())]
    finally:
        engine.dispose()
    return "\n\n".join(parts) + "\n"


def _keys(insp: Inspector, table: str) -> dict[str, list[str]]:
    """Column → its key roles: PK, FK→table.col, UNIQUE (single-column constraints only)."""
    keys: dict[str, list[str]] = {}
    for column in insp.get_pk_constraint(table)["constrained_columns"]:
        keys.setdefault(column, []).append("PK")
    for fk in insp.get_foreign_keys(table):
        for column, target in zip(fk["constrained_columns"], fk["referred_columns"], strict=True):
            keys.setdefault(column, []).append(f"FK→{fk['referred_table']}.{target}")
    for unique in insp.get_unique_constraints(table):
        if len(unique["column_names"]) == 1:
            keys.setdefault(unique["column_names"][0], []).append("UNIQUE")
    return keys


def _indexes(insp: Inspector, table: str) -> list[str]:
    lines = []
    for index in sorted(insp.get_indexes(table), key=lambda ix: str(ix["name"])):
        if "duplicates_constraint" in index:  # PostgreSQL: the index behind a UNIQUE, listed below
            continue
        kind = "unique" if index["unique"] else "non unique"
        columns = ", ".join(f"`{c}`" for c in index["column_names"] if c is not None)
        lines.append(f"- `{index['name']}` ({kind}) : {columns}")
    # SQLite does not name the constraints it was given unnamed: describe them by their columns.
    for unique in sorted(insp.get_unique_constraints(table), key=lambda uc: uc["column_names"]):
        columns = ", ".join(f"`{c}`" for c in unique["column_names"])
        lines.append(f"- contrainte d'unicité{_named(unique['name'])} : {columns}")
    return lines or ["- aucun (hors clé primaire)"]


def _named(name: str | None) -> str:
    return f" `{name}`" if name else ""


def _table(insp: Inspector, table: str) -> str:
    keys = _keys(insp, table)
    rows = ["| nom | type | nullable | clé |", "| --- | --- | --- | --- |"]
    for column in insp.get_columns(table):
        nullable = "oui" if column["nullable"] else "non"
        key = ", ".join(keys.get(column["name"], [])) or "—"
        # Compiled for the dialect: PostgreSQL shows TIMESTAMP WITH TIME ZONE, not a bare TIMESTAMP.
        type_ = column["type"].compile(insp.dialect)
        rows.append(f"| `{column['name']}` | {type_} | {nullable} | {key} |")
    return "\n".join([f"### Table `{table}`", "", *rows, "", "Index :", "", *_indexes(insp, table)])


def _span(document: str) -> tuple[int, int]:
    """Where the generated text starts (after the start marker and its newline) and ends."""
    start, end = document.find(START), document.find(END)
    if start < 0 or end < start:
        raise ValueError(f"markers {START} … {END} not found in order")
    return start + len(START) + 1, end


def replace_section(document: str, section: str) -> str:
    """``document`` with the text between the markers replaced by ``section``."""
    start, end = _span(document)
    return f"{document[: start - 1]}\n{section}{document[end:]}"


def current_section(document: str) -> str:
    """The text between the markers, as ``replace_section`` writes it."""
    start, end = _span(document)
    return document[start:end]


def main() -> int:
    document = AUDIT_MD.read_text(encoding="utf-8")
    updated = replace_section(document, render_schema_markdown())
    if updated == document:
        print(f"{AUDIT_MD.name}: schema section already up to date")
    else:
        AUDIT_MD.write_text(updated, encoding="utf-8")
        print(f"{AUDIT_MD.name}: schema section rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
