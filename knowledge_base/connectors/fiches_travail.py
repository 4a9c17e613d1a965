"""Ministère du Travail fiches (travail-emploi.gouv.fr), from the npm package of SocialGouv.

The package is ``@socialgouv/fiches-travail-data``.

``package/data/fiches-travail.json`` is a list of fiches ``{pubId, title, date (DD/MM/YYYY), intro
(HTML), description, url, sections: [{anchor, title, html, text, description, references}]}``.
Each fiche becomes one ``mt:`` record: the intro, then one ``## Section title`` per section, the
HTML turned into text by the HTML loader. Ids are stable: a fiche whose ``pubId`` is the
``meta.pubId`` of current records keeps their ids (two current ids may share one page, listed
as near-duplicates: both are refreshed); a new fiche gets ``mt:<last URL segment>``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup

from knowledge_base.connectors import Converted, Fetched, Record, SyncError, SyncIssue
from knowledge_base.connectors.npm import fetch_package, read_member
from knowledge_base.loaders.base import iso_date
from knowledge_base.loaders.html import html_to_text
from knowledge_base.normalise import normalise_text, parse_heading

PACKAGE = "@socialgouv/fiches-travail-data"
DATA_MEMBER = "package/data/fiches-travail.json"
SOURCE = "travail-emploi.gouv.fr (fiche ministère du Travail)"
LICENSE = (
    "Licence Ouverte 2.0 (contenu travail-emploi.gouv.fr, Ministère du Travail); "
    "SocialGouv/fiches-travail-data (Apache-2.0)"
)
SECTION_LEVEL = 2  # "## " per section; headings inside a section's HTML go one level below
KEPT_META = ("near_duplicates",)  # curated fields of a current record that a refresh keeps


def _text(html: str) -> str:
    """HTML → text with the HTML loader; inner h1/h2 demoted so sections stay the top level."""
    lines = []
    for line in html_to_text(BeautifulSoup(html, "html.parser")).split("\n"):
        heading = parse_heading(line)
        if heading is not None and heading[0] <= SECTION_LEVEL:
            line = f"{'#' * (SECTION_LEVEL + 1)} {heading[1]}"
        lines.append(line)
    return "\n".join(lines)


def _str_field(fiche: dict[str, Any], key: str) -> str:
    value = fiche.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"missing or empty {key}")
    return value.strip()


def fiche_text(fiche: dict[str, Any]) -> str:
    intro = fiche.get("intro") or ""
    if not isinstance(intro, str):
        raise ValueError("intro is not a string")
    sections = fiche.get("sections")
    if not isinstance(sections, list):
        raise ValueError("sections is not a list")
    parts = [_text(intro)] if intro.strip() else []
    for number, section in enumerate(sections, start=1):
        if not isinstance(section, dict) or not isinstance(section.get("html", ""), str):
            raise ValueError(f"section {number} is not an object with an html string")
        body = _text(section.get("html") or "")
        title = normalise_text(str(section.get("title") or ""))
        if body:
            parts.append(f"{'#' * SECTION_LEVEL} {title}\n\n{body}" if title else body)
    text = normalise_text("\n\n".join(p for p in parts if p))
    if not text:
        raise ValueError("no text (empty intro and sections)")
    return text


def _slug(url: str, pub_id: str) -> str:
    last = url.split("?")[0].split("#")[0].rstrip("/").rsplit("/", 1)[-1]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", last).strip("-")
    return slug or re.sub(r"\D", "", pub_id) or pub_id


def _label(position: int, fiche: object) -> str:
    pub_id = fiche.get("pubId") if isinstance(fiche, dict) else None
    return f"#{position}" + (f" ({pub_id})" if isinstance(pub_id, str) and pub_id else "")


def convert(fiches: object, existing: list[Record]) -> Converted:
    """The ``mt:`` records of a package's fiches; malformed fiches are reported and skipped."""
    if not isinstance(fiches, list):
        raise SyncError(f"{DATA_MEMBER} is not a list of fiches")
    by_pub: dict[str, list[Record]] = {}
    for record in existing:
        pub = (record.get("meta") or {}).get("pubId")
        if isinstance(pub, str):
            by_pub.setdefault(pub, []).append(record)
    taken = {r["id"] for r in existing}
    out = Converted()
    seen_pub: dict[str, str] = {}
    seen_url: dict[str, str] = {}
    # Fiches matching current ids first, so a page published twice keeps its current id.
    ordered = sorted(
        enumerate(fiches, start=1),
        key=lambda p: not (isinstance(p[1], dict) and p[1].get("pubId") in by_pub),
    )
    for position, fiche in ordered:
        label = _label(position, fiche)
        try:
            if not isinstance(fiche, dict):
                raise ValueError("not a JSON object")
            pub_id, title, url = (_str_field(fiche, k) for k in ("pubId", "title", "url"))
            if pub_id in seen_pub:
                raise ValueError(f"duplicate pubId (already read as {seen_pub[pub_id]})")
            if url in seen_url and pub_id not in by_pub:  # a page under a second pubId: no new id
                raise ValueError(f"same page as {seen_url[url]} (published twice upstream)")
            date = iso_date(fiche.get("date"))
            if fiche.get("date") and date is None:
                raise ValueError(f"unreadable date {fiche.get('date')!r}")
            text = fiche_text(fiche)
        except ValueError as exc:
            out.issues.append(SyncIssue(label, f"{exc}; skipped"))
            pub = fiche.get("pubId") if isinstance(fiche, dict) else None
            if isinstance(pub, str) and pub not in seen_pub:  # unreadable now: keep what we have
                out.kept_ids.update(r["id"] for r in by_pub.get(pub, []))
            continue
        seen_pub[pub_id] = label
        seen_url.setdefault(url, label)
        anchors = [
            s["anchor"] for s in fiche["sections"] if isinstance(s.get("anchor"), str) and s["anchor"].strip()
        ]
        current = by_pub.get(pub_id, [])
        if current:
            targets = [(r["id"], r.get("meta") or {}) for r in current]
        else:
            new_id = f"mt:{_slug(url, pub_id)}"
            if new_id in taken:
                new_id = f"{new_id}-{re.sub(r'[^0-9]', '', pub_id) or pub_id}"
            targets = [(new_id, {})]
        for doc_id, old_meta in targets:
            taken.add(doc_id)
            meta: dict[str, Any] = {"date": date, "pubId": pub_id, "section_anchors": anchors}
            meta.update({k: old_meta[k] for k in KEPT_META if k in old_meta})
            out.records.append(
                {
                    "id": doc_id,
                    "title": normalise_text(title),
                    "url": url,
                    "source": SOURCE,
                    "license": LICENSE,
                    "text": text,
                    "meta": meta,
                }
            )
    return out


class FichesTravail:
    name = "fiches-travail"
    prefix = "mt:"

    def fetch(self, version: str | None, file: Path | None, workdir: Path) -> Fetched:
        return fetch_package(PACKAGE, version, file, workdir)

    def records(self, fetched: Fetched, existing: list[Record]) -> Converted:
        return convert(read_member(fetched.path, DATA_MEMBER), existing)
