"""`hra kb sync fiches-travail`: a package tarball built here (no network) → mt: records → incremental ingest.

The fiches have the shape of ``@socialgouv/fiches-travail-data`` 4.x ``data/fiches-travail.json``
(fields and HTML copied from real fiches, shortened).
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from knowledge_base.connectors import SyncError, get_connector, read_jsonl, read_sync_records, sync
from knowledge_base.connectors import npm as npm_module
from knowledge_base.connectors.fiches_travail import PACKAGE, fiche_text
from knowledge_base.index import KnowledgeIndex
from knowledge_base.ingest import ingest
from knowledge_base.settings import KnowledgeBaseSettings
from tests.fixtures.corpus import SMALL_CORPUS, write_jsonl
from tests.fixtures.npm_package import tarball


def section(title: str, html: str, anchor: str = "") -> dict[str, Any]:
    return {"anchor": anchor, "description": "", "html": html, "references": {}, "text": "", "title": title}


DELEGUES = {
    "date": "13/11/2025",
    "description": "Chaque syndicat représentatif dans une entreprise d'au moins 50 salariés peut désigner…",
    "intro": "<ul><li>Chaque syndicat représentatif dans une entreprise ou un établissement d'<strong>au "
    "moins 50 salariés</strong> peut désigner un <strong>délégué syndical (DS)</strong>.</li>"
    "<li>Il bénéficie d'une protection particulière en matière de licenciement.</li></ul>",
    "pubId": "article375542",
    "sections": [
        section(
            "Les délégués syndicaux",
            '<div class="fr-highlight"><h3><strong>À savoir</strong> <strong>! </strong></h3><p>Le mandat '
            "de délégué syndical peut être cumulé avec celui de membre de la délégation du personnel au "
            "CSE.</p></div>",
        ),
        section(
            "Qui peut désigner un délégué syndical ?",
            "<h2>Conditions</h2><p>Le syndicat doit être <strong>représentatif</strong> dans "
            "l'entreprise.</p><h4>Effectif</h4><p>L'effectif d'au moins 50 salariés doit être atteint "
            "pendant 12 mois consécutifs.</p>",
            anchor="qui-peut-designer",
        ),
    ],
    "title": "Les délégués syndicaux",
    "url": "https://travail-emploi.gouv.fr/les-delegues-syndicaux",
}
CDDU = {
    "date": "16/11/2025",
    "description": "Le contrat à durée déterminée « d'usage » (CDDU)…",
    "intro": "<p>Le contrat à durée déterminée « d'usage » (CDDU) est un contrat de travail à durée "
    "déterminée susceptible d'être conclu dans des secteurs définis par décret.</p>",
    "pubId": "article377579",
    "sections": [
        section(
            "Dans quelles conditions peut-on conclure un CDD d'usage ?",
            "<p>Un CDD d'usage peut être conclu afin de pourvoir les emplois pour lesquels il est "
            "d'usage constant de ne pas recourir au CDI.</p><h3>Secteurs</h3><ul><li>Les exploitations "
            "forestières ;</li><li>La réparation navale ;</li></ul>",
            anchor="conditions",
        )
    ],
    "title": "Le contrat à durée déterminée d'usage (CDDU)",
    "url": "https://travail-emploi.gouv.fr/le-contrat-duree-determinee-dusage-cddu",
}
PATERNITE = {
    "date": "07/01/2026",
    "description": "Le congé de paternité et d'accueil de l'enfant…",
    "intro": "<p>Le congé de paternité et d'accueil de l'enfant est de <strong>25 jours "
    "calendaires</strong> depuis le 1er juillet 2021.</p>",
    "pubId": "article999001",
    "sections": [
        section("Durée du congé", "<p>25 jours calendaires, 32 en cas de naissances multiples.</p>")
    ],
    "title": "Le congé de paternité et d'accueil de l'enfant",
    "url": "https://travail-emploi.gouv.fr/le-conge-de-paternite-et-daccueil-de-lenfant",
}
MALFORMED = {"date": "01/01/2026", "pubId": "article999002", "sections": "pas une liste", "url": "https://x"}

# Current KB: the small corpus plus mt: records as shipped (2021 snapshot, DD/MM/YYYY dates).
OLD_MT = [
    {
        "id": "mt:cddu",
        "title": "Le Contrat à durée déterminée d’usage",
        "url": "https://travail-emploi.gouv.fr/droit-du-travail/les-contrats-de-travail/cddu",
        "source": "travail-emploi.gouv.fr (fiche ministère du Travail)",
        "license": "Licence Ouverte 2.0",
        "text": "Le contrat à durée déterminée « d’usage » (CDDU) est un contrat de travail."
        "\n\n## Le CDDU\n\nLes secteurs sont fixés par décret.",
        "meta": {
            "date": "16/11/2020",
            "pubId": "article377579",
            "section_anchors": [],
            "snapshot_commit": "c35",
        },
    },
    {
        "id": "mt:teletravail-en-periode-de-covid-19",
        "title": "Télétravail en période de COVID-19",
        "url": "https://travail-emploi.gouv.fr/teletravail-covid",
        "source": "travail-emploi.gouv.fr (fiche ministère du Travail)",
        "license": "Licence Ouverte 2.0",
        "text": "Le télétravail doit être la règle pour l'ensemble des activités qui le permettent.",
        "meta": {"date": "29/10/2020", "pubId": "article377750", "section_anchors": []},
    },
]


@pytest.fixture
def kb_file(corpus_file: Path) -> Path:
    return write_jsonl(corpus_file, [*SMALL_CORPUS[:3], *OLD_MT, *SMALL_CORPUS[3:]])


def ids(changes: list[Any]) -> list[str]:
    return [c.id for c in changes]


def test_sync_keeps_ids_by_pubid_adds_removes_and_skips_malformed(kb_file: Path, tmp_path: Path) -> None:
    package = tarball(tmp_path / "ftd.tgz", [CDDU, PATERNITE, MALFORMED, DELEGUES])
    before = read_jsonl(kb_file)

    report = sync(get_connector("fiches-travail"), kb_file, file=package)

    assert (report.package, report.version, report.written) == (PACKAGE, "4.1174.0", True)
    assert ids(report.added) == [
        "mt:le-conge-de-paternite-et-daccueil-de-lenfant",
        "mt:les-delegues-syndicaux",
    ]
    assert ids(report.changed) == ["mt:cddu"]  # kept its id: same pubId, new URL and text
    assert [(c.id, c.title) for c in report.removed] == [
        ("mt:teletravail-en-periode-de-covid-19", "Télétravail en période de COVID-19")
    ]
    assert [i.record for i in report.issues] == ["#3 (article999002)"]
    assert "title" in report.issues[0].reason and "skipped" in report.issues[0].reason

    after = read_jsonl(kb_file)
    others = [r for r in before if not r["id"].startswith("mt:")]
    assert [r for r in after if not r["id"].startswith("mt:")] == others, "other sources untouched"
    assert [r["id"] for r in after][:3] == [r["id"] for r in others[:3]], "mt: records stay where they were"
    cddu = next(r for r in after if r["id"] == "mt:cddu")
    assert cddu["url"] == CDDU["url"] and cddu["meta"]["date"] == "2025-11-16"
    assert cddu["meta"]["pubId"] == "article377579" and cddu["meta"]["section_anchors"] == ["conditions"]
    assert "snapshot_commit" not in cddu["meta"]
    assert cddu["text"].startswith("Le contrat à durée déterminée « d'usage » (CDDU) est")
    assert "## Dans quelles conditions peut-on conclure un CDD d'usage ?" in cddu["text"]
    assert "### Secteurs\n- Les exploitations forestières ;\n- La réparation navale ;" in cddu["text"]

    recorded = read_sync_records(kb_file)["fiches-travail"]
    assert recorded["package"] == PACKAGE and recorded["version"] == "4.1174.0"
    assert [c["title"] for c in recorded["removed"]] == ["Télétravail en période de COVID-19"]

    again = sync(get_connector("fiches-travail"), kb_file, file=package)
    assert (again.added, again.changed, again.removed, again.unchanged) == ([], [], [], 3)
    assert read_jsonl(kb_file) == after


def test_fiche_html_becomes_section_headings_and_text() -> None:
    text = fiche_text(DELEGUES)
    assert text.splitlines()[0].startswith("- Chaque syndicat représentatif")
    assert "\n\n## Les délégués syndicaux\n\n### À savoir !\nLe mandat" in text
    # An <h2> inside a section stays below the section's own "## " heading; <h4> keeps its level.
    assert "## Qui peut désigner un délégué syndical ?\n\n### Conditions\n" in text
    assert "#### Effectif\nL'effectif d'au moins 50 salariés" in text


def test_a_page_published_twice_keeps_both_current_ids_or_gets_no_new_one(
    kb_file: Path, tmp_path: Path
) -> None:
    twin = {**copy.deepcopy(CDDU), "pubId": "article100001"}  # same URL, other pubId (seen upstream)
    report = sync(get_connector("fiches-travail"), kb_file, file=tarball(tmp_path / "p.tgz", [twin, CDDU]))
    assert "mt:cddu" in ids(report.changed) and not report.added
    assert report.issues[0].record == "#1 (article100001)" and "same page" in report.issues[0].reason


def test_unreadable_fiche_keeps_its_current_record(kb_file: Path, tmp_path: Path) -> None:
    broken = {**CDDU, "sections": None}
    report = sync(
        get_connector("fiches-travail"), kb_file, file=tarball(tmp_path / "b.tgz", [broken, DELEGUES])
    )
    assert "mt:cddu" not in ids(report.removed) + ids(report.changed)
    assert next(r for r in read_jsonl(kb_file) if r["id"] == "mt:cddu") == OLD_MT[0]


def test_bad_package_leaves_the_kb_unchanged(kb_file: Path, tmp_path: Path) -> None:
    before = kb_file.read_text()
    for package, message in (
        (tarball(tmp_path / "empty.tgz", [MALFORMED]), "no usable record"),
        (tarball(tmp_path / "dict.tgz", {"not": "a list"}), "not a list"),  # type: ignore[arg-type]
        (tmp_path / "missing.tgz", "no such tarball"),
    ):
        with pytest.raises(SyncError, match=message):
            sync(get_connector("fiches-travail"), kb_file, file=package)
    with pytest.raises(SyncError, match=r"not the version 4\.2\.0"):
        sync(get_connector("fiches-travail"), kb_file, version="4.2.0", file=tmp_path / "empty.tgz")
    assert kb_file.read_text() == before and not read_sync_records(kb_file)


def test_without_file_it_runs_npm_pack(
    kb_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []

    def fake_run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append(cmd)
        dest = Path(cmd[cmd.index("--pack-destination") + 1])
        tarball(dest / "socialgouv-fiches-travail-data-4.1175.0.tgz", [CDDU], version="4.1175.0")
        out = [{"filename": "socialgouv-fiches-travail-data-4.1175.0.tgz", "version": "4.1175.0"}]
        return subprocess.CompletedProcess(cmd, 0, json.dumps(out), "")

    monkeypatch.setattr(npm_module.shutil, "which", lambda name: "/usr/bin/npm")
    monkeypatch.setattr(npm_module.subprocess, "run", fake_run)
    report = sync(get_connector("fiches-travail"), kb_file, version="4.1175.0")
    assert calls[0][1:3] == ["pack", f"{PACKAGE}@4.1175.0"]
    assert report.version == "4.1175.0" and report.origin.startswith("npm registry")


def chunk_ids_by_doc(settings: KnowledgeBaseSettings) -> dict[str, list[str]]:
    index = KnowledgeIndex.open(settings)
    return {doc_id: entry.chunk_ids for doc_id, entry in index.manifest.documents.items()}


def test_incremental_ingest_after_sync_touches_only_changed_documents(
    kb_file: Path, kb_settings: KnowledgeBaseSettings, tmp_path: Path
) -> None:
    connector = get_connector("fiches-travail")
    sync(connector, kb_file, file=tarball(tmp_path / "v1.tgz", [CDDU, DELEGUES, PATERNITE]))
    ingest(kb_settings)
    before = chunk_ids_by_doc(kb_settings)

    newer = copy.deepcopy(CDDU)
    newer["date"] = "20/01/2026"
    newer["sections"][0]["html"] += "<p>Le décret du 18 juin 2025 élargit le recours au CDD d'usage.</p>"
    report = sync(connector, kb_file, file=tarball(tmp_path / "v2.tgz", [newer, DELEGUES, MALFORMED]))
    assert (ids(report.added), ids(report.changed), ids(report.removed)) == (
        [],
        ["mt:cddu"],
        ["mt:le-conge-de-paternite-et-daccueil-de-lenfant"],
    )

    rebuilt = ingest(kb_settings)
    assert (rebuilt.added, rebuilt.changed, rebuilt.removed) == (
        [],
        ["mt:cddu"],
        ["mt:le-conge-de-paternite-et-daccueil-de-lenfant"],
    )
    after = chunk_ids_by_doc(kb_settings)
    assert all(after[d] == before[d] for d in after if d != "mt:cddu")
    assert rebuilt.embedded["fake-hashed-bow"] == len(set(after["mt:cddu"]) - set(before["mt:cddu"]))
    chunk = next(c for c in KnowledgeIndex.open(kb_settings).chunks if c.doc_id == "mt:cddu")
    assert chunk.metadata["updated"] == "2026-01-20"


def test_cli_sync_and_status(kb_file: Path, kb_settings: KnowledgeBaseSettings, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {
        "HRA_KB__INDEX_DIR": str(kb_settings.index_dir),
        "HRA_KB__SOURCES": json.dumps([str(kb_file)]),
        "HRA_KB__EMBEDDINGS__MODELS": '["fake"]',
        "HRA_KB__EMBEDDINGS__SHIPPED_VECTORS_DIR": str(kb_settings.embeddings.shipped_vectors_dir),
    }
    package = tarball(tmp_path / "ftd.tgz", [CDDU, PATERNITE, MALFORMED])
    result = runner.invoke(app, ["kb", "sync", "fiches-travail", "--file", str(package)], env=env)
    flat = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert f"{PACKAGE}@4.1174.0" in flat and "added 1, changed 1, removed 1" in flat
    assert "removed mt:teletravail-en-periode-de-covid-19 — Télétravail en période de COVID-19" in flat
    assert "skipped #3 (article999002)" in flat and "ingest built" in flat

    status = " ".join(runner.invoke(app, ["kb", "status"], env=env).output.split())
    assert "sync fiches-travail: @socialgouv/fiches-travail-data@4.1174.0" in status
    assert "added mt:le-conge-de-paternite-et-daccueil-de-lenfant — Le congé de paternité" in status

    unknown = runner.invoke(app, ["kb", "sync", "legifrance", "--file", str(package)], env=env)
    assert unknown.exit_code != 0 and "fiches-travail" in " ".join(unknown.output.split())
    wrong = runner.invoke(app, ["kb", "sync", "fiches-travail", "--file", str(tmp_path / "x.tgz")], env=env)
    assert wrong.exit_code == 1 and "Sync failed" in wrong.output
