"""feedback/AUDIT.md is read by workers' representatives: its schema section must be the schema
the migrations really build, not a hand-kept copy that drifted."""

from __future__ import annotations

import pytest

from feedback.schema_doc import AUDIT_MD, current_section, render_schema_markdown, replace_section


def test_schema_section_of_audit_md_is_up_to_date() -> None:
    committed = current_section(AUDIT_MD.read_text(encoding="utf-8"))
    assert committed == render_schema_markdown(), (
        "the schema section of feedback/AUDIT.md is stale: run `python -m feedback.schema_doc` "
        "and commit the result"
    )


def test_rendering_is_deterministic_and_covers_every_table() -> None:
    first = render_schema_markdown()
    assert first == render_schema_markdown()  # no dates, no temporary paths
    for table in ("drafts", "feedback_events", "audit_log", "audit_checkpoints"):
        assert f"### Table `{table}`" in first
    assert "| `draft_id` | VARCHAR(36) | non | FK→drafts.id |" in first


def test_replace_section_keeps_the_hand_written_text_and_needs_the_markers() -> None:
    document = "avant\n<!-- schema:start -->\nancien\n<!-- schema:end -->\naprès\n"
    updated = replace_section(document, "nouveau\n")
    assert updated == "avant\n<!-- schema:start -->\nnouveau\n<!-- schema:end -->\naprès\n"
    assert current_section(updated) == "nouveau\n"
    with pytest.raises(ValueError, match="markers"):
        replace_section("pas de marqueurs", "x")
