"""Loaders against real files written to tmp_path: good inputs keep their metadata, bad ones become issues."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PageObject, PdfReader, PdfWriter

from knowledge_base.loaders import LOADERS, load_paths
from knowledge_base.loaders.base import iso_date
from knowledge_base.loaders.html import load_html
from knowledge_base.loaders.jsonl import load_jsonl
from knowledge_base.loaders.markdown import load_markdown
from knowledge_base.loaders.pdf import load_pdf


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def make_pdf(pages: list[str], title: str | None = None, modified: str | None = None) -> bytes:
    """A minimal valid PDF, one Helvetica text line per page, with a correctly computed xref table."""
    n_pages = len(pages)
    font_num = 3 + 2 * n_pages
    page_nums = [3 + 2 * i for i in range(n_pages)]
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{' '.join(f'{n} 0 R' for n in page_nums)}] /Count {n_pages} >>".encode(),
    ]
    for num, line in zip(page_nums, pages, strict=True):
        stream = f"BT /F1 12 Tf 72 720 Td ({line}) Tj ET".encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 {font_num} 0 R >> >> /Contents {num + 1} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    info = [f"/Title ({title})" if title else "", f"/ModDate (D:{modified})" if modified else ""]
    trailer_info = ""
    if any(info):
        objects.append(f"<< {' '.join(i for i in info if i)} >>".encode())
        trailer_info = f" /Info {len(objects)} 0 R"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for num, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{num} 0 obj\n".encode() + body + b"\nendobj\n"
    xref_at = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{trailer_info} >>\n".encode()
    out += f"startxref\n{xref_at}\n%%EOF\n".encode()
    return bytes(out)


# --- Markdown -----------------------------------------------------------------------------------

GOOD_MD = """---
id: guide:conges
title: Guide des congés payés
url: https://intranet.example.fr/conges
source: guide-rh
licence: Licence Ouverte 2.0
updated: 15/03/2024
audience: private-sector
---
# Congés payés

Le salarié acquiert 2,5 jours ouvrables par mois.

## Fractionnement

Au-delà de 12 jours, le congé peut être fractionné.
"""


def test_markdown_front_matter_sets_every_field(tmp_path: Path) -> None:
    path = write(tmp_path / "conges.md", GOOD_MD)
    result = load_markdown(path)
    assert result.issues == []
    [doc] = result.documents
    assert (doc.id, doc.title, doc.url, doc.source) == (
        "guide:conges",
        "Guide des congés payés",
        "https://intranet.example.fr/conges",
        "guide-rh",
    )
    assert (doc.license, doc.updated, doc.audience, doc.origin_file) == (
        "Licence Ouverte 2.0",
        "2024-03-15",
        "private-sector",
        str(path),
    )
    assert doc.text.split("\n")[0] == "# Congés payés"
    assert "\n## Fractionnement\n" in doc.text
    assert "---" not in doc.text and "audience" not in doc.text


def test_markdown_defaults_without_front_matter(tmp_path: Path) -> None:
    path = write(tmp_path / "Temps Partiel.md", "Intro.\n\n# Le temps partiel\n\nTexte.\n")
    [doc] = load_markdown(path).documents
    assert (doc.id, doc.title, doc.source, doc.audience) == (
        "md:temps-partiel",
        "Le temps partiel",
        "markdown",
        "all",
    )
    assert doc.url is None and doc.license is None and doc.updated is None


def test_markdown_yaml_date_and_title_fallback_to_stem(tmp_path: Path) -> None:
    path = write(tmp_path / "note.md", "---\ndate: 2023-07-01\n---\nTexte sans titre.\n")
    [doc] = load_markdown(path).documents
    assert (doc.title, doc.updated) == ("note", "2023-07-01")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("---\ntitle: [unclosed\n---\n# T\n\nTexte.\n", "invalid YAML"),
        ("---\n- a\n- b\n---\n# T\n\nTexte.\n", "must be a mapping"),
        ("---\ntitle: T\n# T\n\nTexte.\n", "never closed"),
        ("---\naudience: everyone\n---\n# T\n\nTexte.\n", "audience must be one of"),
    ],
)
def test_markdown_broken_front_matter_is_an_issue(tmp_path: Path, content: str, reason: str) -> None:
    result = load_markdown(write(tmp_path / "bad.md", content))
    assert result.documents == []
    [issue] = result.issues
    assert issue.record == "front matter" and reason in issue.reason


def test_markdown_empty_body_and_bad_bytes_are_issues(tmp_path: Path) -> None:
    empty = load_markdown(write(tmp_path / "empty.md", "---\ntitle: Vide\n---\n\n  \n"))
    (tmp_path / "latin.md").write_bytes("Congés".encode("latin-1"))
    undecodable = load_markdown(tmp_path / "latin.md")
    assert empty.documents == [] and empty.issues[0].reason == "empty body"
    assert undecodable.documents == [] and "unreadable file" in undecodable.issues[0].reason


# --- HTML ---------------------------------------------------------------------------------------

GOOD_HTML = """<!doctype html>
<html lang="fr"><head><title>Congés payés | Intranet RH</title>
<link rel="canonical" href="https://intranet.example.fr/conges">
<meta name="dcterms.modified" content="2024-02-01"><style>p {color: red}</style></head>
<body><header><nav><a href="/">Accueil</a></nav></header>
<main><h1>Congés payés</h1>
<p>Le salarié a droit à <strong>2,5 jours</strong> par mois.</p>
<h2>Conditions</h2><ul><li>Être salarié</li><li>Avoir travaillé<br>un mois</li></ul>
<table><tr><th>Ancienneté</th><th>Jours</th></tr><tr><td>1 an</td><td>30</td></tr></table>
<script>trackVisitor("secret")</script></main>
<footer>Mentions légales</footer></body></html>
"""


def test_html_structure_metadata_and_chrome_removed(tmp_path: Path) -> None:
    path = write(tmp_path / "Conges.html", GOOD_HTML)
    result = load_html(path)
    assert result.issues == []
    [doc] = result.documents
    assert (doc.id, doc.title, doc.url, doc.updated) == (
        "html:conges",
        "Congés payés | Intranet RH",
        "https://intranet.example.fr/conges",
        "2024-02-01",
    )
    assert doc.text.split("\n") == [
        "# Congés payés",
        "Le salarié a droit à 2,5 jours par mois.",
        "## Conditions",
        "- Être salarié",
        "- Avoir travaillé un mois",
        "Ancienneté | Jours",
        "1 an | 30",
    ]
    for chrome in ("trackVisitor", "Accueil", "Mentions légales", "color"):
        assert chrome not in doc.text


def test_html_title_from_h1_and_last_modified_date(tmp_path: Path) -> None:
    html = '<meta name="Last-Modified" content="05/01/2024"><h1>Télétravail</h1><p>Deux jours.</p>'
    [doc] = load_html(write(tmp_path / "tt.htm", html)).documents
    assert (doc.title, doc.updated, doc.url) == ("Télétravail", "2024-01-05", None)


def test_html_cp1252_bytes_are_decoded(tmp_path: Path) -> None:
    path = tmp_path / "old.html"
    path.write_bytes("<p>L’œuvre du salarié</p>".encode("cp1252"))
    [doc] = load_html(path).documents
    assert doc.text == "L’œuvre du salarié"


def test_html_without_text_is_an_issue(tmp_path: Path) -> None:
    html = "<html><head><title>Vide</title></head><body><nav>Menu</nav><script>x()</script></body></html>"
    result = load_html(write(tmp_path / "empty.html", html))
    assert result.documents == []
    assert [(i.record, i.reason) for i in result.issues] == [("-", "no text content")]


# --- PDF ----------------------------------------------------------------------------------------


def test_pdf_text_and_metadata(tmp_path: Path) -> None:
    path = tmp_path / "Conges 2024.pdf"
    path.write_bytes(
        make_pdf(["Conges payes : 2,5 jours par mois"], title="Guide des conges", modified="20240315120000Z")
    )
    result = load_pdf(path)
    assert result.issues == []
    [doc] = result.documents
    assert "Conges payes" in doc.text
    assert (doc.id, doc.title, doc.updated, doc.source) == (
        "pdf:conges-2024",
        "Guide des conges",
        "2024-03-15",
        "pdf",
    )


def test_pdf_two_pages_in_order_and_stem_title(tmp_path: Path) -> None:
    path = tmp_path / "accord.pdf"
    path.write_bytes(make_pdf(["Premiere page du texte.", "Seconde page du texte."]))
    [doc] = load_pdf(path).documents
    assert doc.title == "accord" and doc.updated is None
    assert doc.text.index("Premiere page") < doc.text.index("Seconde page")


def test_pdf_without_text_is_an_issue(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf([""]))
    result = load_pdf(path)
    assert result.documents == [] and "no extractable text" in result.issues[0].reason


@pytest.mark.parametrize("payload", [b"not a pdf at all", make_pdf(["Texte"])[:60], b""])
def test_pdf_garbage_or_truncated_is_an_issue(tmp_path: Path, payload: bytes) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(payload)
    result = load_pdf(path)
    assert result.documents == []
    assert len(result.issues) == 1 and result.issues[0].file == str(path)


@pytest.mark.parametrize(("user_password", "loads"), [("secret", False), ("", True)])
def test_pdf_encryption(tmp_path: Path, user_password: str, loads: bool) -> None:
    """A real password blocks the file; owner-only restrictions (empty user password) do not."""
    writer = PdfWriter(clone_from=PdfReader(BytesIO(make_pdf(["Texte protege."]))))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    with path.open("wb") as fh:
        writer.write(fh)
    result = load_pdf(path)
    assert [d.text for d in result.documents] == (["Texte protege."] if loads else [])
    assert [i.reason for i in result.issues] == ([] if loads else ["encrypted PDF (a password is required)"])


def test_pdf_page_failure_costs_that_page_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_extract = PageObject.extract_text

    def flaky(page: PageObject, *args: object, **kwargs: object) -> str:
        text = real_extract(page)
        if "Abimee" in text:  # stands in for a corrupt content stream
            raise ValueError("bad content stream")
        return text

    monkeypatch.setattr(PageObject, "extract_text", flaky)
    path = tmp_path / "partiel.pdf"
    path.write_bytes(make_pdf(["Page saine.", "Page Abimee.", "Autre page saine."]))
    result = load_pdf(path)
    [doc] = result.documents
    assert doc.text == "Page saine.\n\nAutre page saine."
    [issue] = result.issues
    assert (issue.record, issue.reason) == ("page 2", "text extraction failed: bad content stream")


# --- JSONL --------------------------------------------------------------------------------------


def test_jsonl_keeps_good_records_and_reports_bad_lines(tmp_path: Path) -> None:
    good = {"id": "kb:1", "title": "Congés", "text": "## Durée\n2,5 jours par mois.", "url": "https://x.fr"}
    lines = [
        json.dumps(good, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "kb:2", "title": "T"}),
        "",
        json.dumps(["a", "list"]),
    ]
    result = load_jsonl(write(tmp_path / "kb.jsonl", "\n".join(lines) + "\n"))
    assert [d.id for d in result.documents] == ["kb:1"]
    assert [i.record for i in result.issues] == ["line 2", "line 3", "line 5"]
    assert "text" in result.issues[1].reason and "JSON object" in result.issues[2].reason


# --- load_paths ---------------------------------------------------------------------------------


def test_unsupported_and_missing_paths_are_issues(tmp_path: Path) -> None:
    docx = tmp_path / "contrat.docx"
    docx.write_bytes(b"PK\x03\x04")
    missing = tmp_path / "absent.md"
    result = load_paths([docx, missing])
    assert result.documents == []
    unsupported, absent = result.issues
    assert unsupported.file == str(docx) and "unsupported file type .docx" in unsupported.reason
    assert all(ext in unsupported.reason for ext in LOADERS)
    assert (absent.file, absent.reason) == (str(missing), "no such file or directory")


def test_duplicate_ids_keep_the_first_file(tmp_path: Path) -> None:
    first = write(tmp_path / "a.md", "---\nid: guide:conges\n---\n# A\n\nPremier.\n")
    second = write(tmp_path / "b.md", "---\nid: guide:conges\n---\n# B\n\nSecond.\n")
    result = load_paths([first, second])
    assert [d.title for d in result.documents] == ["A"]
    [issue] = result.issues
    assert issue.file == str(second)
    assert issue.reason == f"duplicate document id guide:conges (already loaded from {first}); skipped"


def test_directory_load_mixes_formats_and_skips_by_name(tmp_path: Path) -> None:
    root = tmp_path / "sources"
    write(root / "kb.jsonl", json.dumps({"id": "kb:1", "title": "K", "text": "Texte."}) + "\n")
    write(root / "guides" / "conges.md", "# Congés\n\nTexte.\n")
    write(root / "pages" / "tt.html", "<h1>Télétravail</h1><p>Texte.</p>")
    (root / "pdf").mkdir()
    (root / "pdf" / "accord.pdf").write_bytes(make_pdf(["Accord sur le temps de travail."]))
    for skipped in ("README.md", "LICENCE.md", "Datasheet.md", ".hidden.md", "vectors/cache.jsonl"):
        write(root / skipped, "not a source")
    write(root / "notes.txt", "texte")
    result = load_paths([root, root / "kb.jsonl"])  # the file named twice is read once
    assert sorted(d.id for d in result.documents) == ["html:tt", "kb:1", "md:conges", "pdf:accord"]
    [issue] = result.issues
    assert issue.file == str(root / "notes.txt") and "unsupported file type .txt" in issue.reason


def test_a_loader_crash_becomes_an_issue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(path: Path) -> None:
        raise RuntimeError("boom")

    monkeypatch.setitem(LOADERS, ".md", explode)
    result = load_paths([write(tmp_path / "x.md", "# X\n\nTexte.\n")])
    assert result.documents == [] and "RuntimeError: boom" in result.issues[0].reason


# --- iso_date -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5/3/2024", "2024-03-05"),
        ("15/03/2024", "2024-03-15"),
        ("2024-03-15T10:00:00Z", "2024-03-15"),
        ("2019", "2019"),
        ("le 3 mars", None),
        ("", None),
        (None, None),
    ],
)
def test_iso_date(value: object, expected: str | None) -> None:
    assert iso_date(value) == expected
