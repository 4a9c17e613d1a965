"""Verification without trusting the operator: Ed25519 checkpoints as receipts, the export bundle
(hra-audit-bundle/1) and the standalone verifier (feedback/verifier/verify_audit.py).

Every tamper case runs the standalone verifier as a subprocess of the current Python (no project
import can sneak in: the AST test checks its imports too) and ``hra audit verify --bundle``; both
must give the expected verdict, naming the first bad entry.
"""

from __future__ import annotations

import ast
import copy
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from assistant.app import create_app
from assistant.settings import Settings
from feedback.audit import (
    GENESIS,
    PURGED_PREFIX,
    Checkpoint,
    ensure_recent_checkpoint,
    export_bundle,
    key_id,
    latest_checkpoint,
    make_checkpoint,
    purge,
    purge_drafts,
    purged_marker,
    sign_checkpoint,
    verify,
)
from feedback.chain import chain_hash, sha256_hex
from feedback.cli import audit_app
from feedback.keys import fingerprint, grouped
from feedback.models import DraftRecord
from tests.fixtures.app import agent_bearer, bearer
from tests.fixtures.audit_log import DRAFT_ID, make_draft, migrated_engine, populate

VERIFIER = Path(__file__).resolve().parents[2] / "feedback" / "verifier" / "verify_audit.py"
KEY = bytes(range(32))
OTHER_KEY = b"\x07" * 32
RECEIPT_AT = 20
N = 30
runner = CliRunner()


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    """A 30-event log: a receipt kept at 20 entries, then 10 more events and another checkpoint."""
    engine = migrated_engine(tmp_path_factory.mktemp("receipts") / "hra.sqlite")
    populate(engine, RECEIPT_AT)
    receipt = asdict(make_checkpoint(engine, KEY))
    populate(engine, N - RECEIPT_AT, start=RECEIPT_AT + 1)
    make_checkpoint(engine, KEY)
    bundle = export_bundle(engine, KEY)
    engine.dispose()
    return bundle, receipt


@pytest.fixture
def bundle(built: tuple[dict[str, Any], dict[str, Any]]) -> dict[str, Any]:
    return copy.deepcopy(built[0])


@pytest.fixture
def receipt(built: tuple[dict[str, Any], dict[str, Any]]) -> dict[str, Any]:
    return copy.deepcopy(built[1])


def write(tmp: Path, name: str, data: Any) -> str:
    path = tmp / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def standalone(tmp: Path, bundle: Any, receipt: Any = None, public_key: str | None = None) -> tuple[int, str]:
    args = [sys.executable, str(VERIFIER), write(tmp, "bundle.json", bundle)]
    if receipt is not None:
        args += ["--receipt", write(tmp, "receipt.json", receipt)]
    if public_key is not None:
        args += ["--public-key", public_key]
    # Run from an empty directory with no PYTHONPATH: the project is not importable from there.
    done = subprocess.run(
        args, capture_output=True, text=True, cwd=tmp, env={"PATH": "/usr/bin:/bin"}, timeout=60
    )
    assert not done.stderr, done.stderr
    return done.returncode, done.stdout


def cli(tmp: Path, bundle: Any, receipt: Any = None, public_key: str | None = None) -> tuple[int, str]:
    args = ["verify", "--bundle", write(tmp, "bundle-cli.json", bundle)]
    if receipt is not None:
        args += ["--receipt", write(tmp, "receipt-cli.json", receipt)]
    if public_key is not None:
        args += ["--public-key", public_key]
    done = runner.invoke(audit_app, args)
    return done.exit_code, done.output


def rechain(bundle: dict[str, Any], start: int = 1) -> None:
    """What an operator holding the database can do: recompute every digest and hash from entry
    ``start`` on, renumber, and fix the announced head."""
    entries = bundle["entries"]
    head = entries[start - 2]["entry_hash"] if start > 1 else GENESIS
    for n, entry in enumerate(entries, start=1):
        entry["seq"] = n
        if n < start:
            continue
        if entry["content"] is not None:
            entry["content_digest"] = sha256_hex(entry["content"])
        entry["entry_hash"] = head = chain_hash(head, entry["content_digest"])
    bundle["tree_size"] = len(entries)
    bundle["head_hash"] = entries[-1]["entry_hash"] if entries else GENESIS


def resign(bundle: dict[str, Any], key: bytes = KEY) -> None:
    """Re-sign the bundle's checkpoints over the (rewritten) entries with ``key``."""
    hashes = [e["entry_hash"] for e in bundle["entries"]]
    bundle["checkpoints"] = [
        asdict(sign_checkpoint(cp["tree_size"], hashes[cp["tree_size"] - 1], cp["created_at"], key))
        for cp in bundle["checkpoints"]
        if cp["tree_size"] <= len(hashes)
    ]


def edit_content(bundle: dict[str, Any], seq: int, **fields: Any) -> None:
    entry = bundle["entries"][seq - 1]
    data = json.loads(entry["content"])
    data.update(fields)
    entry["content"] = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def first_sent(bundle: dict[str, Any]) -> int:
    return next(e["seq"] for e in bundle["entries"] if json.loads(e["content"])["type"] == "sent")


# --------------------------------------------------------------------------- tamper cases


@dataclass(frozen=True)
class Case:
    tamper: Callable[[dict[str, Any], dict[str, Any]], str | None]  # returns --public-key, if any
    expected: str  # in the French verdict
    seq: int | None = None  # "INVALIDE (entrée N)" when the problem has a position
    with_receipt: bool = False


def _edit_outcome(b: dict[str, Any], _: dict[str, Any]) -> None:
    edit_content(b, first_sent(b), outcome="rewritten")


def _edit_outcome_and_digest(b: dict[str, Any], _: dict[str, Any]) -> None:
    seq = first_sent(b)
    edit_content(b, seq, outcome="rewritten")
    b["entries"][seq - 1]["content_digest"] = sha256_hex(b["entries"][seq - 1]["content"])


def _rewrite_before_receipt(b: dict[str, Any], _: dict[str, Any]) -> None:
    edit_content(b, first_sent(b), outcome="rewritten")
    rechain(b)
    resign(b)  # the operator holds the signing key: the bundle alone is self-consistent again


def _delete(b: dict[str, Any], _: dict[str, Any]) -> None:
    del b["entries"][9]


def _delete_renumbered(b: dict[str, Any], _: dict[str, Any]) -> None:
    del b["entries"][9]
    for n, entry in enumerate(b["entries"], start=1):
        entry["seq"] = n


def _delete_and_rechain(b: dict[str, Any], _: dict[str, Any]) -> None:
    del b["entries"][9]
    rechain(b)
    resign(b)


def _reorder(b: dict[str, Any], _: dict[str, Any]) -> None:
    e = b["entries"]
    e[11], e[12] = e[12], e[11]
    e[11]["seq"], e[12]["seq"] = 12, 13


def _reorder_and_rechain(b: dict[str, Any], _: dict[str, Any]) -> None:
    e = b["entries"]
    e[4], e[5] = e[5], e[4]
    rechain(b)
    resign(b)


def _forge_signature(b: dict[str, Any], _: dict[str, Any]) -> None:
    sig = b["checkpoints"][0]["signature"]
    b["checkpoints"][0]["signature"] = ("0" if sig[0] != "0" else "1") + sig[1:]


def _checkpoint_other_key(b: dict[str, Any], _: dict[str, Any]) -> None:
    cp = b["checkpoints"][-1]
    b["checkpoints"][-1] = asdict(
        sign_checkpoint(cp["tree_size"], cp["head_hash"], cp["created_at"], OTHER_KEY)
    )


def _bundle_other_key(b: dict[str, Any], _: dict[str, Any]) -> str:
    """A whole bundle re-signed with another key: self-consistent, but not the published key."""
    from feedback.audit import public_key_info

    b["public_key"] = public_key_info(OTHER_KEY)
    resign(b, OTHER_KEY)
    return grouped(fingerprint(KEY))


def _receipt_other_key(_: dict[str, Any], r: dict[str, Any]) -> None:
    r.update(asdict(sign_checkpoint(r["tree_size"], r["head_hash"], r["created_at"], OTHER_KEY)))


def _receipt_edited(_: dict[str, Any], r: dict[str, Any]) -> None:
    r["tree_size"] = r["tree_size"] - 1


def _truncate(b: dict[str, Any], _: dict[str, Any]) -> None:
    del b["entries"][15:]
    rechain(b, start=16)


def _truncate_and_drop_checkpoints(b: dict[str, Any], _: dict[str, Any]) -> None:
    del b["entries"][15:]
    rechain(b, start=16)
    resign(b)  # drops the checkpoints past the cut: only the receipt remembers the longer log


def _duplicate(b: dict[str, Any], _: dict[str, Any]) -> None:
    b["entries"].append(copy.deepcopy(b["entries"][6]))
    rechain(b)
    resign(b)


def _timestamp(b: dict[str, Any], _: dict[str, Any]) -> None:
    edit_content(b, 7, occurred_at="2026-01-05T09:00:00.000000+00:00")


def _checkpoint_time(b: dict[str, Any], _: dict[str, Any]) -> None:
    b["checkpoints"][0]["created_at"] = "2020-01-01T00:00:00.000000+00:00"


def _entry_hash(b: dict[str, Any], _: dict[str, Any]) -> None:
    b["entries"][-1]["entry_hash"] = "f" * 64


def _malformed_digest(b: dict[str, Any], _: dict[str, Any]) -> None:
    b["entries"][2]["content_digest"] = "zz" * 32


def _wrong_fingerprint(b: dict[str, Any], _: dict[str, Any]) -> None:
    b["public_key"]["fingerprint"] = fingerprint(OTHER_KEY)


def _wrong_format(b: dict[str, Any], _: dict[str, Any]) -> None:
    b["format"] = "hra-audit-bundle/0"


def _announced_size(b: dict[str, Any], _: dict[str, Any]) -> None:
    b["tree_size"] = N + 5


def _replayed_seq(b: dict[str, Any], _: dict[str, Any]) -> None:
    b["entries"][8]["seq"] = 8


def _pseudonym_added(b: dict[str, Any], _: dict[str, Any]) -> None:
    edit_content(b, 3, agent_pseudonym="ab" * 32)
    rechain(b)
    resign(b)


def _type_changed(b: dict[str, Any], _: dict[str, Any]) -> None:
    edit_content(b, 25, type="shown")


CASES: dict[str, Case] = {
    "edited_outcome": Case(_edit_outcome, "ne correspond pas à son empreinte", 3),
    "edited_outcome_digest_recomputed": Case(_edit_outcome_and_digest, "chaînage", 3),
    "rewritten_history_before_receipt": Case(_rewrite_before_receipt, "historique réécrit", 20, True),
    "deleted_event": Case(_delete, "absente (la suivante est 11)", 10),
    "deleted_event_renumbered": Case(_delete_renumbered, "chaînage", 10),
    "deleted_event_rechained_resigned": Case(_delete_and_rechain, "historique réécrit", 20, True),
    "reordered_events": Case(_reorder, "chaînage", 12),
    "reordered_rechained_resigned": Case(_reorder_and_rechain, "historique réécrit", 20, True),
    "forged_checkpoint_signature": Case(_forge_signature, "signature invalide"),
    "checkpoint_from_another_key": Case(_checkpoint_other_key, "autre clé"),
    "bundle_from_another_key": Case(_bundle_other_key, "autre clé que la clé attendue"),
    "receipt_from_another_key": Case(_receipt_other_key, "le reçu : signé avec une autre clé", None, True),
    "receipt_edited": Case(_receipt_edited, "le reçu : signature invalide", None, True),
    "truncated_tail": Case(_truncate, "tronqué", 16),
    "truncated_tail_checkpoints_dropped": Case(_truncate_and_drop_checkpoints, "tronqué", 16, True),
    "duplicated_entry": Case(_duplicate, "même événement que l'entrée 7", 31),
    "changed_event_timestamp": Case(_timestamp, "ne correspond pas à son empreinte", 7),
    "changed_checkpoint_time": Case(_checkpoint_time, "signature invalide"),
    "edited_entry_hash": Case(_entry_hash, "chaînage", 30),
    "malformed_digest": Case(_malformed_digest, "mal formée", 3),
    "wrong_announced_fingerprint": Case(_wrong_fingerprint, "empreinte annoncée"),
    "not_a_bundle": Case(_wrong_format, "n'est pas un paquet"),
    "wrong_announced_size": Case(_announced_size, "annoncées"),
    "duplicate_sequence_number": Case(_replayed_seq, "en double ou désordonné", 9),
    "pseudonym_in_content": Case(_pseudonym_added, "pseudonyme", 3),
    "edited_type": Case(_type_changed, "ne correspond pas à son empreinte", 25),
}


def test_there_are_enough_tamper_cases() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("name", sorted(CASES))
def test_tampering_is_caught_by_both_verifiers(
    name: str, bundle: dict[str, Any], receipt: dict[str, Any], tmp_path: Path
) -> None:
    case = CASES[name]
    public_key = case.tamper(bundle, receipt)
    kept = receipt if case.with_receipt else None
    for run in (standalone, cli):
        code, out = run(tmp_path, bundle, kept, public_key)
        assert code == 1, (run.__name__, out)
        assert out.startswith("INVALIDE"), (run.__name__, out)
        assert case.expected in out, (run.__name__, out)
        if case.seq is not None:
            assert out.startswith(f"INVALIDE (entrée {case.seq})"), (run.__name__, out)


@pytest.mark.parametrize("name", ["rewritten_history_before_receipt", "truncated_tail_checkpoints_dropped"])
def test_without_the_receipt_a_full_rewrite_looks_intact(
    name: str, bundle: dict[str, Any], receipt: dict[str, Any], tmp_path: Path
) -> None:
    """Why representatives keep receipts: the operator holds the signing key and can re-sign a
    rewritten log; only a checkpoint kept outside the operator's reach tells."""
    CASES[name].tamper(bundle, receipt)
    assert standalone(tmp_path, bundle)[0] == 0


def test_an_intact_bundle_is_green(bundle: dict[str, Any], receipt: dict[str, Any], tmp_path: Path) -> None:
    for run in (standalone, cli):
        for args in (
            (None, None),
            (receipt, None),
            (receipt, grouped(fingerprint(KEY))),
            (None, fingerprint(KEY)),
        ):
            code, out = run(tmp_path, bundle, *args)
            assert code == 0, (run.__name__, args, out)
            assert out.startswith(f"VALIDE : {N} entrées chaînées vérifiées ({N} avec leur contenu"), out
    code, out = standalone(tmp_path, bundle, receipt)
    assert "le journal prolonge votre reçu (20 entrées, signature valide)" in out
    assert grouped(fingerprint(KEY)) in out


def test_a_receipt_of_the_empty_log_and_an_empty_bundle(tmp_path: Path) -> None:
    engine = migrated_engine(tmp_path / "empty.sqlite")
    empty_receipt = asdict(make_checkpoint(engine, KEY))
    empty = export_bundle(engine, KEY)
    assert standalone(tmp_path, empty, empty_receipt)[0] == 0
    populate(engine, 3)
    assert standalone(tmp_path, export_bundle(engine, KEY), empty_receipt)[0] == 0


def test_the_verifier_imports_only_the_standard_library_and_cryptography() -> None:
    tree = ast.parse(VERIFIER.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative import"
            roots.add((node.module or "").split(".")[0])
    assert roots - sys.stdlib_module_names == {"cryptography"}, roots


def test_v1_entries_are_shown_by_their_digest_only(tmp_path: Path) -> None:
    """Entries appended before canonical v2 carry the pseudonym: the bundle withholds their content
    and the chain still verifies through the digests."""
    from feedback.models import AuditEntry

    engine = migrated_engine(tmp_path / "v1.sqlite")
    populate(engine, 4)
    with Session(engine) as session, session.begin():  # rebuild entries as a v1 writer made them
        from feedback.audit import _event_dict
        from feedback.chain import canonical_json
        from feedback.models import FeedbackEvent

        head = GENESIS
        for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.seq)):
            ev = session.get(FeedbackEvent, entry.event_id)
            assert ev is not None
            fields = _event_dict(
                ev.event_id, ev.draft_id, ev.type, ev.agent_pseudonym, ev.occurred_at, ev.payload,
                ev.payload_digest, ev.edit_distance_char, ev.edit_distance_word, ev.outcome, version=1,
            )  # fmt: skip
            entry.canonical = canonical_json(fields)
            entry.content_digest = sha256_hex(entry.canonical)
            entry.prev_hash, entry.entry_hash = head, chain_hash(head, entry.content_digest)
            head = entry.entry_hash
    assert verify(engine).ok
    populate(engine, 2, start=5)  # v2 from here on
    assert verify(engine).ok
    out = export_bundle(engine, KEY)
    assert [e["content"] is None for e in out["entries"]] == [True] * 4 + [False] * 2
    assert "agent_pseudonym" not in json.dumps(out)
    code, verdict = standalone(tmp_path, out)
    assert code == 0 and "(2 avec leur contenu, 4 par leur seule empreinte)" in verdict


# --------------------------------------------------------------------------- checkpoints


def test_checkpoints_are_made_when_due(tmp_path: Path) -> None:
    engine = migrated_engine(tmp_path / "due.sqlite")
    first = ensure_recent_checkpoint(engine, KEY, timedelta(days=1))
    assert first is not None and first.tree_size == 0
    populate(engine, 3)
    assert ensure_recent_checkpoint(engine, KEY, timedelta(days=1)) is None  # a fresh one exists
    later = datetime.now(UTC) + timedelta(days=1, minutes=1)
    second = ensure_recent_checkpoint(engine, KEY, timedelta(days=1), now=later)
    assert second is not None and second.tree_size == 3
    # A checkpoint under another key (rotation, or the old HMAC ones) does not count as recent.
    assert ensure_recent_checkpoint(engine, OTHER_KEY, timedelta(days=1)) is not None
    assert latest_checkpoint(engine) is not None


def test_a_legacy_hmac_checkpoint_still_pins_the_head(tmp_path: Path) -> None:
    engine = migrated_engine(tmp_path / "legacy.sqlite")
    populate(engine, 5)
    cp = make_checkpoint(engine, KEY)
    legacy = Checkpoint(
        cp.tree_size, cp.head_hash, cp.created_at, "hmac-sha256", "0123456789abcdef", "ab" * 32
    )
    report = verify(engine, legacy, KEY)
    assert report.ok and "signature non vérifiée" in report.reason
    moved = Checkpoint(5, "e" * 64, cp.created_at, "hmac-sha256", "0123456789abcdef", "ab" * 32)
    assert not verify(engine, moved, KEY).ok
    # The next checkpoint under Ed25519 accepts a log that matches the legacy one.
    assert ensure_recent_checkpoint(engine, OTHER_KEY, timedelta(days=1)) is not None


# --------------------------------------------------------------------------- retention


def test_purge_empties_drafts_and_payloads_and_everything_still_verifies(tmp_path: Path) -> None:
    engine = migrated_engine(tmp_path / "purge.sqlite")
    populate(engine, 10)
    with Session(engine) as session, session.begin():
        record = session.get(DraftRecord, DRAFT_ID)
        assert record is not None
        record.citations = [
            {"n": 1, "chunk_id": "conges-0003", "text": None, "cited_sentence": "4 jours [1]."}
        ]
    original = make_draft()
    receipt = asdict(make_checkpoint(engine, KEY))
    cutoff = datetime(2027, 1, 1, tzinfo=UTC)
    assert purge(engine, cutoff) == 10
    assert purge_drafts(engine, cutoff) == 1
    assert purge_drafts(engine, cutoff) == 0  # idempotent
    with Session(engine) as session:
        record = session.get(DraftRecord, DRAFT_ID)
        assert record is not None
        assert record.question_masked == purged_marker(original.question_masked)
        assert record.draft_text == purged_marker(original.draft_text or "")
        assert record.citations == [
            {"n": 1, "chunk_id": "conges-0003", "text": None, "cited_sentence": purged_marker("4 jours [1].")}
        ]
        assert record.topic == original.topic and record.decision == "drafted"  # not text: kept
    text = json.dumps(export_bundle(engine, KEY), ensure_ascii=False)
    assert "mariage" not in text and PURGED_PREFIX not in text
    report = verify(engine, Checkpoint(**receipt), KEY)
    assert report.ok, report.reason
    assert standalone(tmp_path, export_bundle(engine, KEY), receipt)[0] == 0


def test_purge_leaves_recent_drafts(tmp_path: Path) -> None:
    engine = migrated_engine(tmp_path / "recent.sqlite")
    populate(engine, 2)
    assert purge_drafts(engine, datetime(2025, 1, 1, tzinfo=UTC)) == 0
    with Session(engine) as session:
        record = session.get(DraftRecord, DRAFT_ID)
        assert record is not None and not record.question_masked.startswith(PURGED_PREFIX)


# --------------------------------------------------------------------------- through the API

PII = ("Dupont", "06 12 34 56 78", "jean.dupont@exemple.fr", "Martine Lefèvre")


@pytest.fixture
def client(app_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings), headers=bearer("rep")) as c:
        yield c


def _draft(client: TestClient, agent: int) -> str:
    res = client.post(
        "/api/v1/drafts",
        json={"question": "Mme Martine Lefèvre demande combien de jours de congés payés par mois ?"},
        headers=agent_bearer(agent),
    )
    assert res.status_code == 201, res.text
    return str(res.json()["draft_id"])


def test_the_api_serves_key_receipts_bundle_and_verifier(client: TestClient, tmp_path: Path) -> None:
    import uuid

    startup = client.get("/api/v1/audit/checkpoint")  # signed at startup: no more 404
    assert startup.status_code == 200 and startup.json()["algorithm"] == "ed25519"
    pseudonyms = []
    for agent in (1, 2, 3):
        draft_id = _draft(client, agent)
        for kind, extra in (
            ("shown", {}),
            ("sent", {"final_text": "Voir avec M. Dupont au 06 12 34 56 78, jean.dupont@exemple.fr."}),
            ("discarded", {"reason": "Mme Martine Lefèvre a déjà la réponse"}),
            (
                "verdict",
                {"value": "down", "reasons": ["wrong"], "comment": "Appeler M. Dupont au 06 12 34 56 78"},
            ),
        ):
            event = {"event_id": str(uuid.uuid4()), "draft_id": draft_id, "type": kind, **extra}
            res = client.post("/api/v1/feedback/events", json=event, headers=agent_bearer(agent))
            assert res.status_code == 201, res.text
        pseudonyms.append(client.app.state.events.pseudonym(f"agent-{agent}"))  # type: ignore[attr-defined]

    key = client.get("/api/v1/audit/public-key").json()
    assert key["fingerprint"] == sha256_hex(bytes.fromhex(key["public_key_hex"]))
    assert key["fingerprint_grouped"] == grouped(key["fingerprint"])

    made = client.post("/api/v1/audit/checkpoint")
    assert made.status_code == 201 and made.json()["tree_size"] == 15  # 3 drafts, 12 events
    assert made.json()["key_id"] == key["fingerprint"]
    again = client.post("/api/v1/audit/checkpoint")
    assert again.status_code == 200 and again.json() == made.json()  # head unchanged: same receipt
    assert client.get("/api/v1/audit/checkpoint").json() == made.json()

    res = client.get("/api/v1/audit/bundle")
    assert res.status_code == 200
    text = res.text
    for secret in (*pseudonyms, *PII):
        assert secret not in text, secret
    bundle = res.json()
    # 3 drafts, 12 events, then this very read of the bundle: reads of the log are entries too
    # (feedback.access); drafts too, by their id and content hash only (no text, no pseudonym)
    assert bundle["public_key"] == key and bundle["tree_size"] == 16
    kinds = [json.loads(e["content"]).get("kind") for e in bundle["entries"]]
    assert kinds.count("draft") == 3 and kinds.count("access") == 1
    read = json.loads(bundle["entries"][-1]["content"])
    assert (
        read["kind"] == "access"
        and read["read"] == "bundle"
        and read["occurred_at"].endswith(":00:00.000000+00:00")
    )

    digests_only = client.get("/api/v1/audit/bundle?content=false").json()
    assert [e["content"] for e in digests_only["entries"]] == [None] * 17
    assert [e["entry_hash"] for e in digests_only["entries"]][:16] == [
        e["entry_hash"] for e in bundle["entries"]
    ]
    code, out = standalone(tmp_path, digests_only, made.json())
    assert code == 0 and "(0 avec leur contenu, 17 par leur seule empreinte)" in out, out

    script = client.get("/api/v1/audit/verifier.py")
    assert script.status_code == 200 and script.text == VERIFIER.read_text(encoding="utf-8")
    (tmp_path / "verify_audit.py").write_text(script.text, encoding="utf-8")
    receipt_path = write(tmp_path, "r.json", made.json())
    done = subprocess.run(
        [sys.executable, "verify_audit.py", write(tmp_path, "b.json", bundle), "--receipt", receipt_path,
         "--public-key", key["fingerprint_grouped"]],
        capture_output=True, text=True, cwd=tmp_path, env={"PATH": "/usr/bin:/bin"}, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "VALIDE : 16 entrées" in done.stdout


def test_the_served_audit_md_names_this_deployments_key(client: TestClient) -> None:
    key = client.get("/api/v1/audit/public-key").json()
    doc = client.get("/api/v1/audit/verifier").text
    assert key["fingerprint_grouped"] in doc and key["public_key_hex"] in doc
    assert "/api/v1/audit/verifier.py" in doc and "hra-audit-bundle/1" in doc


def test_audit_routes_roles(client: TestClient) -> None:
    for path in ("/api/v1/audit/public-key", "/api/v1/audit/bundle", "/api/v1/audit/verifier.py"):
        assert client.get(path, headers=bearer("agent")).status_code == 403, path
        for role in ("rep", "lead", "admin"):
            assert client.get(path, headers=bearer(role)).status_code == 200, (path, role)
    assert client.post("/api/v1/audit/checkpoint", headers=bearer("agent")).status_code == 403
    assert client.post("/api/v1/audit/checkpoint", headers=bearer("lead")).status_code in (200, 201)


def test_key_id_is_the_public_key_fingerprint() -> None:
    assert (
        key_id(KEY)
        == fingerprint(KEY)
        == sha256_hex(bytes.fromhex(grouped(fingerprint(KEY)).replace(" ", "")))[:0] + fingerprint(KEY)
    )
