"""docs/OPERATIONS.md: its settings section is what the settings classes generate now (no drift),
every setting appears once, no secret default is printed; `hra settings reference` rewrites it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel, Field, SecretStr
from typer.testing import CliRunner

from assistant.cli import app
from assistant.settings import Settings
from assistant.settings_reference import (
    BEGIN,
    END,
    PACKAGES_ROOT,
    SECRET,
    marked,
    render,
    replace_marked,
    sections,
    undescribed,
)

DOC = Path(__file__).resolve().parents[1] / "docs" / "OPERATIONS.md"
ENV_IN_ROW = re.compile(r"^\| `(HRA_[A-Z0-9_]+)` \|", re.MULTILINE)


def _leaf_envs(model: type[BaseModel], prefix: str = "HRA_") -> list[str]:
    """Walked here independently of the generator: every leaf field's variable name."""
    names = []
    for name, field in model.model_fields.items():
        env = prefix + name.upper()
        sub = field.annotation
        if isinstance(sub, type) and issubclass(sub, BaseModel):
            names += _leaf_envs(sub, env + "__")
        else:
            names.append(env)
    return names


def test_the_marked_section_is_what_the_settings_generate() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    assert marked(text) == render(), (
        "docs/OPERATIONS.md's settings section differs from the settings classes: "
        "run `hra settings reference --out docs/OPERATIONS.md` and commit the result"
    )


def test_every_setting_appears_once_in_the_document() -> None:
    documented = ENV_IN_ROW.findall(marked(DOC.read_text(encoding="utf-8")))
    expected = _leaf_envs(Settings)
    assert sorted(documented) == sorted(expected)
    assert len(documented) == len(set(documented))


def test_no_secret_default_is_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    # Secrets set in the environment must not leak either: the reference uses the classes' defaults.
    planted = {
        "HRA_FEEDBACK__PSEUDONYM_KEY": "ab" * 32,
        "HRA_FEEDBACK__AUDIT_KEY": "cd" * 32,
        "HRA_LLM__API_KEY": "planted-llm-key-0123456789",
        "HRA_AUTH__TOKENS": '{"agent": ["planted-agent-token-0123456789abcdef0123"]}',
    }
    for name, value in planted.items():
        monkeypatch.setenv(name, value)
    text = render()
    for value in ("ab" * 32, "cd" * 32, "planted-llm-key", "planted-agent-token"):
        assert value not in text
    secret_rows = {row.env: row for s in sections() for row in s.rows if row.secret}
    assert set(secret_rows) == {
        "HRA_AUTH__TOKENS",
        "HRA_AUTH__SUBJECTS",
        "HRA_LLM__API_KEY",
        "HRA_FEEDBACK__PSEUDONYM_KEY",
        "HRA_FEEDBACK__AUDIT_KEY",
    }
    assert all(row.default == SECRET for row in secret_rows.values())


def test_a_secret_default_is_hidden_even_when_it_has_a_value() -> None:
    class WithSecret(BaseModel):
        key: SecretStr = Field(default=SecretStr("s3cr3t-default"), description="A key.")
        keys: dict[str, list[SecretStr]] = Field(
            default_factory=lambda: {"a": [SecretStr("other-s3cr3t")]}, description="Keys."
        )
        plain: str = Field(default="visible", description="Not a secret.")

    text = render(WithSecret)
    assert "s3cr3t" not in text
    assert text.count(SECRET) == 2 + 1  # two rows, and the legend
    assert "`visible`" in text


def test_defaults_types_and_json_hints_as_an_operator_reads_them() -> None:
    rows = {row.env: row for s in sections() for row in s.rows}
    # Paths: relative, as in the repository (the shipped KB's default is computed from the package).
    assert rows["HRA_KB__SOURCES"].default == '`["knowledge_base/sources/kb.jsonl"]`'
    assert rows["HRA_KB__INDEX_DIR"].default == "`var/kb`"
    assert str(PACKAGES_ROOT) not in render()  # nothing of this machine's layout
    # Lists and dicts are JSON in the environment; bounds come from the field's constraints.
    assert rows["HRA_KB__EMBEDDINGS__MODELS"].type.startswith("JSON list of")
    assert rows["HRA_RETRIEVAL__WEIGHTS"].type.startswith("JSON object")
    assert rows["HRA_SERVER__PORT"].type == "integer (≥ 1, ≤ 65535)"
    assert rows["HRA_KB__CHROMA__URL"].default == "unset"
    assert rows["HRA_BUILD_INDEX_ON_START"].default == "`true`"


def test_undescribed_fields_are_listed() -> None:
    class Partly(BaseModel):
        described: int = Field(default=1, description="Has one.")
        bare: int = 2

    assert undescribed(Partly) == ["HRA_BARE"]
    assert "*(no description)*" in render(Partly)


def test_replace_marked_keeps_the_rest_and_refuses_a_document_without_markers() -> None:
    doc = f"# Title\n\nbefore\n\n{BEGIN}\nold table\n{END}\n\nafter\n"
    new = replace_marked(doc, "new table\n")
    assert new == f"# Title\n\nbefore\n\n{BEGIN}\nnew table\n{END}\n\nafter\n"
    assert marked(new) == "new table\n"
    with pytest.raises(ValueError, match="settings:begin"):
        replace_marked("# no markers\n", "x")


def test_cli_rewrites_the_marked_section(tmp_path: Path) -> None:
    doc = tmp_path / "OPS.md"
    doc.write_text(f"# Ops\n\n{BEGIN}\nstale\n{END}\n\nend\n", encoding="utf-8")
    runner = CliRunner()
    first = runner.invoke(app, ["settings", "reference", "--out", str(doc)])
    assert first.exit_code == 0, first.output
    assert "updated" in first.output
    text = doc.read_text(encoding="utf-8")
    assert marked(text) == render() and text.startswith("# Ops\n") and text.endswith(f"{END}\n\nend\n")
    again = runner.invoke(app, ["settings", "reference", "--out", str(doc)])
    assert again.exit_code == 0 and "already up to date" in again.output

    printed = runner.invoke(app, ["settings", "reference"])
    assert printed.exit_code == 0 and printed.output == render()

    missing = tmp_path / "none.md"
    missing.write_text("# no markers\n", encoding="utf-8")
    refused = runner.invoke(app, ["settings", "reference", "--out", str(missing)])
    assert refused.exit_code == 1
    assert missing.read_text(encoding="utf-8") == "# no markers\n"
