"""Heading-aware splitting and normalisation."""

from __future__ import annotations

from knowledge_base.chunking import split_document
from knowledge_base.documents import Document
from knowledge_base.normalise import normalise_text, promote_bare_headings
from knowledge_base.settings import ChunkingSettings


def doc(text: str, **kw: str) -> Document:
    return Document(
        id="d:1",
        title=kw.get("title", "Titre"),
        text=text,
        source="s",
        url="https://x.test/d1",
        license="Etalab 2.0",
        updated="2021-03-01",
    )


def test_headings_give_each_chunk_its_path_and_metadata() -> None:
    body = "\n".join(["# Congés", "Intro " * 50, "## Durée", "mot " * 320, "## Report", "autre " * 320])
    chunks = split_document(doc(body), ChunkingSettings(min_words=200, max_words=350, overlap_words=20))
    assert [c.heading_path for c in chunks] == [("Congés",), ("Congés", "Durée"), ("Congés", "Report")]
    assert all(
        c.metadata["url"] == "https://x.test/d1" and c.metadata["license"] == "Etalab 2.0" for c in chunks
    )
    assert chunks[1].embed_text.startswith("Titre — Congés > Durée\n")


def test_small_sections_are_packed_and_large_ones_cut_with_overlap() -> None:
    small = "\n".join(f"## S{i}\nPhrase courte numéro {i}." for i in range(10))
    packed = split_document(doc(small), ChunkingSettings(min_words=30, max_words=350, overlap_words=0))
    assert len(packed) < 10 and "S1" in packed[0].text  # later headings stay visible in the packed text
    sentences = " ".join(f"Phrase {i} avec quelques mots de plus." for i in range(200))
    cut = split_document(doc(sentences), ChunkingSettings(min_words=50, max_words=120, overlap_words=15))
    assert len(cut) > 5
    assert all(len(c.text.split()) <= 120 + 2 for c in cut)
    tail = cut[0].text.split()[-5:]
    assert " ".join(tail) in cut[1].text  # overlap carries context over


def test_chunk_ids_are_stable_and_change_with_content() -> None:
    a = split_document(doc("Un texte."))
    assert a == split_document(doc("Un texte."))
    assert a[0].id.startswith("d:1#000-") and a[0].id != split_document(doc("Un autre texte."))[0].id


def test_normalise_text_tidies_spacing_and_promotes_bare_headings() -> None:
    raw = (
        "Droit aux congés\u00a0:\r\nTout salarié a droit à des congés .\n\n\n\n"
        "Durée du congé\nIl acquiert 2,5 jours."
    )
    text = promote_bare_headings(normalise_text(raw))
    assert text.split("\n") == [
        "Droit aux congés :",
        "Tout salarié a droit à des congés.",
        "",
        "## Durée du congé",
        "Il acquiert 2,5 jours.",
    ]
