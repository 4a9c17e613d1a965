"""Official sources (``assistant.pipeline.provenance``): a value that only a page from outside the
official sources gives is flagged « à vérifier », naming the page; the same value from an official
page is not; a deployment adds its reviewed sources; every shipped document is official."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant.pipeline.checks import check_draft
from assistant.pipeline.provenance import official_sources, source_of
from assistant.services.drafting import passages_from_hits
from assistant.settings import Settings
from knowledge_base.index import KnowledgeIndex
from knowledge_base.ingest import ingest
from knowledge_base.search import HybridSearcher
from knowledge_base.settings import KnowledgeBaseSettings, RetrievalSettings
from tests.fixtures.checks import passage

ROOT = Path(__file__).resolve().parents[2]
DRAFT = "Le congé est de 25 jours, à demander au 01 84 88 22 30 (article L. 1225-35-2) [1]."
PAGE = "Le congé de paternité est de 25 jours. Contact : 01 84 88 22 30. Article L. 1225-35-2."


def fact_flags(draft: str, *passages: object, **kwargs: object) -> list[tuple[str, str, str]]:
    """(kind, value, message); a flag for a value only an unofficial page gives shows as
    « unofficial » (its own kind stays the fact's: the panel highlights a duration as one)."""
    checked = check_draft(draft, list(passages), None, **kwargs)  # type: ignore[arg-type]
    return [
        ("unofficial" if "hors des sources officielles" in f.message else f.kind, f.value, f.message)
        for f in checked.flags
        if f.kind not in ("no_citation", "unofficial_sentence")  # the sentence flag: tested on its own
    ]


def test_values_only_an_unofficial_page_gives_are_flagged_naming_the_page() -> None:
    planted = passage(1, PAGE, source="intranet")
    flags = fact_flags(DRAFT, planted)
    assert [(k, v) for k, v, _ in flags] == [
        ("unofficial", "25 jours"),
        ("unofficial", "01 84 88 22 30"),
        ("unofficial", "article L. 1225-35-2"),
    ]
    assert all("hors des sources officielles" in m and "« Fiche 1 »" in m for _, _, m in flags)
    kinds = [f.kind for f in check_draft(DRAFT, [planted], None).flags if f.kind != "no_citation"]
    assert kinds == ["duration", "phone", "article", "unofficial_sentence"]  # its values, then the sentence


def test_the_same_values_from_an_official_page_are_not_flagged() -> None:
    assert fact_flags(DRAFT, passage(1, PAGE, source="mt")) == []
    assert fact_flags(DRAFT, passage(1, PAGE, source="sp")) == []


def test_an_official_page_citing_the_same_value_vouches_for_it() -> None:
    both = DRAFT.replace("[1]", "[1][2]")
    assert fact_flags(both, passage(1, PAGE, source="intranet"), passage(2, PAGE, source="mt")) == []
    # but a value only the unofficial one gives is still flagged
    other = "Le congé est de 28 jours [1][2]."
    official = passage(2, "Le congé est de 25 jours.", source="mt")
    flags = fact_flags(other, passage(1, "Le congé est de 28 jours.", source="intranet"), official)
    assert [(k, v) for k, v, _ in flags] == [("unofficial", "28 jours")]


def test_a_deployment_adds_its_reviewed_sources() -> None:
    assert fact_flags(DRAFT, passage(1, PAGE, source="intranet"), extra_sources=("intranet",)) == []
    settings = Settings(drafting={"official_sources": ["Intranet:", "rh.local"]})  # type: ignore[arg-type]
    assert settings.drafting.official_sources == ["intranet", "rh.local"]
    with pytest.raises(ValidationError, match="not a document id prefix"):
        Settings(drafting={"official_sources": ["une source"]})  # type: ignore[arg-type]


def test_a_value_no_passage_gives_keeps_its_own_flag() -> None:
    flags = fact_flags("Le congé est de 30 jours [1].", passage(1, PAGE, source="intranet"))
    assert [(k, v) for k, v, _ in flags] == [("duration", "30 jours")]


def test_every_shipped_document_comes_from_an_official_source() -> None:
    """A connector or a KB refresh that brings a new source must add it to the reviewed list."""
    official = official_sources()
    lines = (ROOT / "knowledge_base/sources/kb.jsonl").read_text(encoding="utf-8").splitlines()
    ids = [json.loads(x)["id"] for x in lines if x]
    assert len(ids) > 600
    assert {source_of(i) for i in ids} <= official.entries
    assert source_of("planted:f31") not in official.entries and source_of("sans-prefixe") == ""


def test_an_official_prefix_vouches_only_for_a_page_loaded_from_a_dataset() -> None:
    """The id is what a file says; the file is what ingest saw: « sp: » declared in the front matter
    of a Markdown page dropped in a shared folder is a claim, not an origin."""
    claimed = replace(passage(1, PAGE, source="sp"), origin="/srv/partage/conges.md")
    assert [(k, v) for k, v, _ in fact_flags(DRAFT, claimed)] == [
        ("unofficial", "25 jours"),
        ("unofficial", "01 84 88 22 30"),
        ("unofficial", "article L. 1225-35-2"),
    ]
    for origin in ("/srv/kb/sources/kb.jsonl", "/srv/kb/sources/FICHES.JSONL", ""):
        assert fact_flags(DRAFT, replace(claimed, origin=origin)) == []
    # a prefix the deployment lists itself vouches from any file: it reviewed where they come from
    page = replace(passage(1, PAGE, source="intranet"), origin="/srv/intranet/conges.md")
    assert fact_flags(DRAFT, page, extra_sources=("intranet",)) == []
    assert fact_flags(DRAFT, claimed, extra_sources=("sp",)) == []


def test_passages_carry_the_file_ingest_loaded_their_document_from(
    kb_settings_factory: Callable[..., KnowledgeBaseSettings], corpus_file: Path, tmp_path: Path
) -> None:
    shared = tmp_path / "partage"
    shared.mkdir()
    (shared / "conges.md").write_text(
        "---\nid: sp:F9999\ntitle: Congé de paternité (note)\n---\n# Congé de paternité\n\n"
        "Le congé de paternité est de 41 jours calendaires, à poser d'un bloc.\n",
        encoding="utf-8",
    )
    settings = kb_settings_factory(sources=[corpus_file, shared])
    ingest(settings)
    index = KnowledgeIndex.open(settings)
    hits = HybridSearcher(index, RetrievalSettings()).search("congé de paternité 41 jours", None, top_k=5)
    passages = passages_from_hits(hits, index.manifest.documents)
    by_id = {p.doc_id: p for p in passages}
    assert by_id["sp:F9999"].origin == str(shared / "conges.md")
    assert all(p.origin == str(corpus_file) for p in passages if p.doc_id != "sp:F9999")
    note = replace(by_id["sp:F9999"], n=1)
    flags = fact_flags("Le congé est de 41 jours [1].", note)
    assert [(k, v) for k, v, _ in flags] == [("unofficial", "41 jours")]


def test_a_sentence_only_unofficial_pages_support_is_flagged_whole_naming_them() -> None:
    """A planted page can change a word instead of a figure: no value check sees it, its origin does."""
    page = passage(1, "Le CDD ne peut être renouvelé qu'une seule fois.", source="intranet")
    official = passage(2, "Le CDD peut être renouvelé deux fois.", source="sp")
    claim = "Le CDD ne peut être renouvelé qu'une seule fois"
    draft = f"Bonjour,\n\n{claim} [1]. Il se termine à son terme.\n\nCordialement,"
    checked = check_draft(draft, [page, official], None)
    flagged = [(f.kind, checked.text[f.start : f.end]) for f in checked.flags if f.kind != "no_citation"]
    assert flagged == [
        ("unofficial_sentence", claim),
        ("unofficial_sentence", "Il se termine à son terme."),  # no citation: its paragraph's
    ]
    assert all("« Fiche 1 »" in f.message for f in checked.flags if f.kind == "unofficial_sentence")
    # an official page cited beside it, or the page listed by the deployment: read as usual
    assert (
        check_draft("Le CDD ne peut être renouvelé qu'une seule fois [1][2].", [page, official], None).flags
        == []
    )
    listed = check_draft(
        "Le CDD ne peut être renouvelé qu'une seule fois [1].", [page], None, extra_sources=("intranet",)
    )
    assert listed.flags == []


def test_sentences_of_official_pages_and_greetings_are_not_flagged() -> None:
    draft = "Bonjour,\n\nLe congé est de 25 jours [1].\n\nCordialement,"
    assert check_draft(draft, [passage(1, PAGE, source="sp")], None).flags == []
