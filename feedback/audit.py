"""Verifying the audit chain, signing checkpoints, and purging payloads (retention).

What ``verify`` proves: every stored feedback event has exactly one audit entry, entries are
numbered 1…n without gaps, each entry links to the previous one, each digest matches its
content, and each (non-purged) event row still says what was recorded when it was appended.
What it cannot prove on its own: that the tail was not cut off, or that the whole chain was not
recomputed after an edit — a signed checkpoint kept outside the database covers those two.

Checkpoints are signed with Ed25519: the private seed stays on the server, the public key is
published (``/api/v1/audit/public-key``, AUDIT.md), so anyone can check a checkpoint — a
representative keeps one as a *receipt* and later checks that the log still extends it, with
``export_bundle`` and the standalone ``feedback/verifier/verify_audit.py`` (no database, no key).

Canonical content, version 2 (events appended from now on): the agent appears as
``agent_sha256 = SHA-256(event_id ":" pseudonym)`` instead of the pseudonym, so the content can be
handed out whole — it names no pseudonym and cannot be linked across events without the database.
Version 1 entries (older) carry the pseudonym: a bundle gives only their digest.

Drafts are entries too (``kind: "draft"``, issue 16): the entry carries the draft's id and
``content_sha256``, the SHA-256 of every stored column in a canonical form (texts by their
SHA-256, the owner as ``agent_sha256``) — never a text, never a pseudonym. ``verify`` re-derives it
from the ``drafts`` row, so an edited draft is named; retention's ``[purgé sha256:…]`` markers hash
the same as the texts they replaced. Drafts without an entry that are older than the first chained
one are reported as *antérieurs à la chaîne* (not a failure); a newer one breaks verification.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from sqlalchemy import Connection, Engine, func, null, select, update
from sqlalchemy.orm import Session, aliased

from feedback.chain import GENESIS, canonical_json, lock_chain, sha256_hex
from feedback.keys import SigningKeyLike, fingerprint, grouped, public_key_of, public_raw, signing_key
from feedback.models import AccessEvent, AuditCheckpoint, AuditEntry, DraftRecord, FeedbackEvent

ALGORITHM = "ed25519"
LEGACY_ALGORITHM = "hmac-sha256"  # checkpoints signed before issue 15: the head hash still pins the log
CANONICAL_VERSION = 2
_V2_SUFFIX = f',"v":{CANONICAL_VERSION}}}'  # sorted keys: "v" is always the last one
BUNDLE_FORMAT = "hra-audit-bundle/1"
_HEX = frozenset("0123456789abcdef")


class AuditError(Exception):
    """The log cannot be checkpointed (it does not verify) or a checkpoint file is malformed."""


# --------------------------------------------------------------------------- canonical content


def iso_utc(moment: datetime) -> str:
    """One spelling per instant. SQLite stores no offset and hands back naive datetimes; every
    writer stores UTC, so naive means UTC — otherwise a re-read event would never match."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _event_dict(
    event_id: str,
    draft_id: str,
    type_: str,
    agent_pseudonym: str,
    occurred_at: datetime,
    payload: dict[str, Any] | None,
    payload_digest: str,
    edit_distance_char: float | None,
    edit_distance_word: float | None,
    outcome: str | None,
    version: int = CANONICAL_VERSION,
) -> dict[str, Any]:
    # Positional so the verifier can feed raw result tuples without building ORM objects.
    agent: dict[str, Any] = (
        {"agent_pseudonym": agent_pseudonym}
        if version == 1
        else {"agent_sha256": agent_tag(event_id, agent_pseudonym), "v": version}
    )
    return {
        **agent,
        "event_id": event_id,
        "draft_id": draft_id,
        "type": type_,
        "occurred_at": iso_utc(occurred_at),
        # The payload is represented by its digest: retention can then delete the payload while
        # every other field stays covered by the chain.
        "payload_sha256": None if payload is None else sha256_hex(canonical_json(payload)),
        "payload_digest": payload_digest,
        "edit_distance_char": edit_distance_char,
        "edit_distance_word": edit_distance_word,
        "outcome": outcome,
    }


def agent_tag(event_id: str, agent_pseudonym: str) -> str:
    """The agent as the chain covers it (v2): bound to the event, so two events of one agent do
    not share a tag, and the pseudonym cannot be read back from it."""
    return sha256_hex(f"{event_id}:{agent_pseudonym}")


def canonical_version(canonical: str) -> int:
    return CANONICAL_VERSION if canonical.endswith(_V2_SUFFIX) else 1


def event_canonical(event: FeedbackEvent) -> str:
    """The canonical JSON appended to the chain for an event (received_at is server bookkeeping
    and deliberately left out). The verifier re-derives it from the stored row."""
    return canonical_json(
        _event_dict(
            event.event_id,
            event.draft_id,
            event.type,
            event.agent_pseudonym,
            event.occurred_at,
            event.payload,
            event.payload_digest,
            event.edit_distance_char,
            event.edit_distance_word,
            event.outcome,
        )
    )


def access_canonical(event_id: str, occurred_at: datetime, role: str, what: str) -> str:
    """The canonical JSON of a read of the log (``feedback.access``): role, what, the hour."""
    return canonical_json(
        {
            "event_id": event_id,
            "kind": "access",
            "occurred_at": iso_utc(occurred_at),
            "read": what,  # not "what": "v" must stay the last key (canonical_version)
            "role": role,
            "v": CANONICAL_VERSION,
        }
    )


# Drafts in the chain. The columns covered, fixed for this canonical version (a column added later
# needs a new version, or older entries would stop verifying); id is the entry's event_id.
DRAFT_KIND = "draft"
DRAFT_FIELDS = (
    "created_at",
    "question_masked",
    "pii_kinds",
    "category",
    "topic",
    "decision",
    "decision_reason",
    "confidence",
    "draft_text",
    "citations",
    "retrieved",
    "flags",
    "kb_version",
    "drafter",
    "model",
    "prompt_version",
    "fallback_reason",
    "latency_ms",
    "ai_mention",
    "arm",
    "regenerated_from",
    "confidence_level",
    "confidence_reason",
    "agent_pseudonym",
    "forced",
    "settings_hash",
)
_DRAFT_MARK = '"kind":"draft"'
PURGED_PREFIX = "[purgé sha256:"
_CITATION_TEXT_KEYS = ("text", "cited_sentence")  # the KB passage (not stored today) and the draft's sentence


def text_sha256(value: str) -> str:
    """A text as a draft's content hash covers it: its SHA-256, also once retention replaced it by
    ``[purgé sha256:<hex>]`` (the marker carries that very hash), so purging keeps drafts verifying."""
    if value.startswith(PURGED_PREFIX) and value.endswith("]"):
        inner = value[len(PURGED_PREFIX) : -1]
        if _is_hash(inner):
            return inner
    return sha256_hex(value)


def _optional_text(value: str | None) -> str | None:
    return None if value is None else text_sha256(value)


def _as_stored(value: Any) -> Any:
    """A JSON column's value as the database hands it back (lists, str keys, floats)."""
    return json.loads(json.dumps(value)) if value is not None else None


def draft_content(draft_id: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The stored draft in canonical form: texts by their SHA-256, the owner by ``agent_tag`` —
    what ``content_sha256`` hashes. ``values``: the ``DRAFT_FIELDS`` of the row (attributes or a
    result row's mapping)."""
    pseudonym = values["agent_pseudonym"]
    citations = _as_stored(values["citations"])
    if isinstance(citations, list):
        citations = [
            {**c, **{k: text_sha256(c[k]) for k in _CITATION_TEXT_KEYS if isinstance(c.get(k), str)}}
            if isinstance(c, dict)
            else c
            for c in citations
        ]
    confidence, latency = values["confidence"], values["latency_ms"]
    return {
        "agent_sha256": None if pseudonym is None else agent_tag(draft_id, pseudonym),
        "ai_mention": None if values["ai_mention"] is None else bool(values["ai_mention"]),
        "arm": values["arm"],
        "category": values["category"],
        "citations": citations,
        "confidence": None if confidence is None else float(confidence),
        "confidence_level": values["confidence_level"],
        "confidence_reason": values["confidence_reason"],
        "created_at": iso_utc(values["created_at"]),
        "decision": values["decision"],
        "decision_reason": values["decision_reason"],
        "draft_id": draft_id,
        "draft_text_sha256": _optional_text(values["draft_text"]),
        "drafter": values["drafter"],
        "fallback_reason": values["fallback_reason"],
        "flags": _as_stored(values["flags"]),
        "forced": None if values["forced"] is None else bool(values["forced"]),
        "kb_version": values["kb_version"],
        "latency_ms": None if latency is None else int(latency),
        "model": values["model"],
        "pii_kinds": _as_stored(values["pii_kinds"]),
        "prompt_version": values["prompt_version"],
        "question_sha256": _optional_text(values["question_masked"]),
        "regenerated_from": values["regenerated_from"],
        "retrieved": _as_stored(values["retrieved"]),
        "settings_hash": values["settings_hash"],
        "topic": values["topic"],
    }


def draft_canonical(draft_id: str, values: Mapping[str, Any]) -> str:
    """The canonical JSON appended to the chain when a draft is stored: its id and the SHA-256 of
    its content — no text, no pseudonym, not even the minute (the creation date is inside the hash)."""
    return canonical_json(
        {
            "content_sha256": sha256_hex(canonical_json(draft_content(draft_id, values))),
            "draft_id": draft_id,
            "event_id": draft_id,  # every entry has one (the standalone verifier checks it is unique)
            "kind": DRAFT_KIND,
            "v": CANONICAL_VERSION,
        }
    )


def record_values(record: DraftRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in DRAFT_FIELDS}


# --------------------------------------------------------------------------- checkpoints


def key_id(key: SigningKeyLike) -> str:
    """The checkpoint key's fingerprint: SHA-256 of the raw Ed25519 public key, hex."""
    return fingerprint(key)


@dataclass(frozen=True)
class Checkpoint:
    tree_size: int
    head_hash: str
    created_at: str  # ISO 8601, UTC
    algorithm: str
    key_id: str
    signature: str  # hex

    def signed_bytes(self) -> bytes:
        fields = {
            "tree_size": self.tree_size,
            "head_hash": self.head_hash,
            "created_at": self.created_at,
            "algorithm": self.algorithm,
            "key_id": self.key_id,
        }
        return canonical_json(fields).encode("utf-8")

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        """Parse and shape-check a checkpoint file; raises AuditError on anything malformed."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AuditError(f"checkpoint is not JSON / point de contrôle illisible: {exc}") from exc
        if not isinstance(data, dict):
            raise AuditError("checkpoint must be a JSON object / objet JSON attendu")
        expected = {"tree_size": int, "head_hash": str, "created_at": str, "algorithm": str}
        expected |= {"key_id": str, "signature": str}
        for name, kind in expected.items():
            value = data.get(name)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise AuditError(f"checkpoint field {name!r} missing or not {kind.__name__}")
        if data["tree_size"] < 0 or not _is_hash(data["head_hash"]):
            raise AuditError("checkpoint tree_size/head_hash malformed / taille ou empreinte invalide")
        return cls(**{name: data[name] for name in expected})


def sign_checkpoint(tree_size: int, head_hash: str, created_at: str, key: bytes) -> Checkpoint:
    """``key``: the 32-byte Ed25519 private seed."""
    unsigned = Checkpoint(tree_size, head_hash, created_at, ALGORITHM, key_id(key), "")
    signature = signing_key(key).sign(unsigned.signed_bytes()).hex()
    return Checkpoint(tree_size, head_hash, created_at, ALGORITHM, key_id(key), signature)


def verify_signature(cp: Checkpoint, key: SigningKeyLike) -> bool:
    """``key``: the public key (or the private seed, whose public half is used)."""
    if cp.algorithm != ALGORITHM:
        return False
    try:
        public_key_of(key).verify(bytes.fromhex(cp.signature), cp.signed_bytes())
    except (InvalidSignature, ValueError):
        return False
    return True


def public_key_info(key: SigningKeyLike) -> dict[str, str]:
    """What ``/api/v1/audit/public-key`` serves and a bundle carries."""
    fp = fingerprint(key)
    return {
        "algorithm": ALGORITHM,
        "public_key_hex": public_raw(key).hex(),
        "fingerprint": fp,
        "fingerprint_grouped": grouped(fp),
    }


def _head(session: Session) -> tuple[int, str]:
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.entry_hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    return (last[0], last[1]) if last else (0, GENESIS)


def make_checkpoint(engine: Engine, key: bytes, *, check: bool = True) -> Checkpoint:
    """Sign the current head and store it. With ``check`` (default) the log is verified first
    (against the previous checkpoint): signing a tampered log would launder the tampering."""
    if check:
        previous = latest_checkpoint(engine)
        # A previous checkpoint under another key (rotation) still pins the head hash.
        same_key = previous is not None and previous.key_id == key_id(key)
        report = verify(engine, previous, key if same_key else None)
        if not report.ok:
            raise AuditError(f"refusing to sign a log that does not verify: {report.reason}")
    with Session(engine) as session, session.begin():
        lock_chain(session)  # the head must not move between reading and storing it
        size, head = _head(session)
        now = datetime.now(UTC)
        cp = sign_checkpoint(size, head, iso_utc(now), key)
        session.add(
            AuditCheckpoint(
                tree_size=cp.tree_size,
                head_hash=cp.head_hash,
                created_at=now,
                algorithm=cp.algorithm,
                key_id=cp.key_id,
                signature=cp.signature,
            )
        )
    return cp


def _of_row(row: AuditCheckpoint) -> Checkpoint:
    return Checkpoint(
        row.tree_size, row.head_hash, iso_utc(row.created_at), row.algorithm, row.key_id, row.signature
    )


def latest_checkpoint(engine: Engine) -> Checkpoint | None:
    with Session(engine) as session:
        row = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)).first()
        return None if row is None else _of_row(row)


def recent_checkpoints(engine: Engine, limit: int = 10) -> list[Checkpoint]:
    """The newest checkpoints, oldest first."""
    with Session(engine) as session:
        rows = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(limit)).all()
        return [_of_row(row) for row in reversed(rows)]


def checkpoint_now(engine: Engine, key: bytes) -> tuple[Checkpoint, bool]:
    """A receipt for the current head: the latest checkpoint when it already covers the head under
    this key (asking again does not pile up identical rows), else a new one. (checkpoint, new?)"""
    latest = latest_checkpoint(engine)
    with Session(engine) as session:
        head = _head(session)
    if latest is not None and latest.key_id == key_id(key) and (latest.tree_size, latest.head_hash) == head:
        return latest, False
    return make_checkpoint(engine, key), True


def ensure_recent_checkpoint(
    engine: Engine, key: bytes, max_age: timedelta, now: datetime | None = None
) -> Checkpoint | None:
    """Sign a checkpoint when there is none under this key younger than ``max_age`` (startup and
    the daily task). Returns the new checkpoint, or None when the latest one is recent enough."""
    latest = latest_checkpoint(engine)
    now = now or datetime.now(UTC)
    fresh = latest is not None and now - datetime.fromisoformat(latest.created_at) < max_age
    if fresh and latest is not None and latest.key_id == key_id(key):
        return None
    return make_checkpoint(engine, key)


# --------------------------------------------------------------------------- verification


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    entries_checked: int  # entries that passed every check
    first_broken_seq: int | None  # None when ok, or when the problem has no position (see reason)
    reason: str  # "French / English"
    head_hash: str  # hash of the last entry that passed (GENESIS for none)
    tree_size: int  # seq of that entry: the verified prefix
    drafts_before_chain: int = 0  # drafts older than the first chained draft, with no entry (not a failure)


def _is_hash(value: str) -> bool:
    return len(value) == 64 and _HEX.issuperset(value)


_ENTRY_COLUMNS = (
    AuditEntry.seq,
    AuditEntry.event_id,
    AuditEntry.canonical,
    AuditEntry.content_digest,
    AuditEntry.prev_hash,
    AuditEntry.entry_hash,
    FeedbackEvent.event_id.label("stored_event_id"),
    FeedbackEvent.draft_id,
    FeedbackEvent.type,
    FeedbackEvent.agent_pseudonym,
    FeedbackEvent.occurred_at,
    FeedbackEvent.payload,
    FeedbackEvent.payload_digest,
    FeedbackEvent.edit_distance_char,
    FeedbackEvent.edit_distance_word,
    FeedbackEvent.outcome,
    AccessEvent.event_id.label("access_id"),  # [16:20] a read of the log (feedback.access)
    AccessEvent.occurred_at.label("access_at"),
    AccessEvent.role,
    AccessEvent.what,
)


_DRAFT_COLUMNS = (DraftRecord.id, *(getattr(DraftRecord, name) for name in DRAFT_FIELDS))


def _drafts_of(conn: Connection, rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """The draft rows behind the page's entries that are neither an event nor a read (one query per
    page, so the events' hot path keeps its join unchanged)."""
    ids = [row[1] for row in rows if row[6] is None and row[16] is None]
    if not ids:
        return {}
    found = conn.execute(select(*_DRAFT_COLUMNS).where(DraftRecord.id.in_(ids))).all()
    return {row.id: row for row in found}


def _entry_batches(conn: Connection, batch: int) -> Any:
    """Entries joined with their event, in seq order, one page at a time (keyset pagination:
    constant memory, each page an index range scan, same on SQLite and PostgreSQL); with each page,
    the draft rows its draft entries stand for."""
    after = 0
    while True:
        stmt = (
            select(*_ENTRY_COLUMNS)
            .select_from(AuditEntry)
            .outerjoin(FeedbackEvent, FeedbackEvent.event_id == AuditEntry.event_id)
            .outerjoin(AccessEvent, AccessEvent.event_id == AuditEntry.event_id)
            .where(AuditEntry.seq > after)
            .order_by(AuditEntry.seq)
            .limit(batch)
        )
        rows = conn.execute(stmt).all()
        if not rows:
            return
        yield rows, _drafts_of(conn, rows)
        after = rows[-1][0]


def _differing_fields(canonical: str, derived: str) -> str:
    try:
        recorded, stored = json.loads(canonical), json.loads(derived)
    except json.JSONDecodeError:
        return "?"
    names = sorted(k for k in set(recorded) | set(stored) if recorded.get(k) != stored.get(k))
    return ", ".join(names) or "format"


class _Walk:
    """State carried across pages. ``check`` returns (seq, reason) at the first broken entry."""

    def __init__(self, checkpoint: Checkpoint | None, keep_after: datetime | None = None) -> None:
        self.keep_after = keep_after  # payloads of events since then must still be there (retention)
        self.size = 0
        self.head = GENESIS
        self.seen: dict[str, int] = {}  # content digest → seq: a replayed event has a twin
        self.pin = (checkpoint.tree_size, checkpoint.head_hash) if checkpoint else None

    def check(self, rows: Sequence[Sequence[Any]], drafts: Mapping[str, Any]) -> tuple[int, str] | None:
        # Hot loop (100k rows): locals only, cheapest checks first.
        sha, fromhex, seen = hashlib.sha256, bytes.fromhex, self.seen
        size, head = self.size, self.head
        pin_size, pin_head = self.pin or (-1, "")
        try:
            for row in rows:
                seq, event_id, canonical, digest, prev, entry_hash, stored_id = row[:7]
                n = size + 1
                if seq != n:
                    return n, _gap(n, seq)
                if prev != head:
                    return n, _link(n)
                if canonical is not None and sha(canonical.encode()).hexdigest() != digest:
                    return n, _say(
                        n, "l'empreinte du contenu ne correspond pas au contenu", "content digest mismatch"
                    )
                try:
                    linked = sha(fromhex(prev) + fromhex(digest)).hexdigest()
                except ValueError:
                    return n, _say(
                        n, "empreinte mal formée (hexadécimal attendu)", "malformed hash (hex expected)"
                    )
                if linked != entry_hash:
                    return n, _say(
                        n, "l'empreinte de l'entrée ne correspond pas au chaînage", "entry hash mismatch"
                    )
                if digest in seen:
                    m = seen[digest]
                    return n, _say(
                        n, f"même contenu que l'entrée {m} (rejeu)", f"same content as entry {m} (replay)"
                    )
                problem = _event_problem(row, canonical, stored_id, event_id, self.keep_after, drafts)
                if problem:
                    return n, _say(n, *problem)
                if n == pin_size and entry_hash != pin_head:
                    return n, _CHECKPOINT_MISMATCH
                seen[digest] = n
                size, head = n, entry_hash
        finally:
            self.size, self.head = size, head
        return None


def _event_problem(
    row: Sequence[Any],
    canonical: str | None,
    stored_id: str | None,
    event_id: str,
    keep_after: datetime | None = None,
    drafts: Mapping[str, Any] | None = None,
) -> tuple[str, str] | None:
    """The event row behind an entry must exist and still say what was recorded."""
    if stored_id is None and row[16] is not None:  # a read of the log (feedback.access): its own row
        derived = access_canonical(*row[16:20])
        if canonical != derived:
            names = "?" if canonical is None else _differing_fields(canonical, derived)
            return (
                f"la consultation {event_id} stockée ne correspond plus au contenu enregistré "
                f"(champs : {names})",
                f"stored access {event_id} differs from the recorded content (fields: {names})",
            )
        return None
    if stored_id is None and (canonical is None or _DRAFT_MARK in canonical):
        return _draft_problem(event_id, canonical, (drafts or {}).get(event_id))
    if stored_id is None:
        return (
            f"l'événement {event_id} n'existe plus dans feedback_events",
            f"event {event_id} missing from feedback_events",
        )
    if canonical is None:
        return (
            "contenu du journal effacé (la purge ne l'efface jamais)",
            "log content erased (retention never erases it)",
        )
    if row[11] is None and keep_after is not None:
        occurred = row[10].replace(tzinfo=UTC) if row[10].tzinfo is None else row[10]
        if occurred >= keep_after:
            return (
                "contenu supprimé avant la fin de la durée de conservation",
                "payload deleted before the end of the retention period",
            )
    fields = _event_dict(*row[6:16], version=canonical_version(canonical))  # type: ignore[misc]
    if fields["payload_sha256"] is None:  # purged: the payload's digest can only come from the log
        fields["payload_sha256"] = json.loads(canonical).get("payload_sha256")
    derived = canonical_json(fields)
    if derived != canonical:
        names = _differing_fields(canonical, derived)
        return (
            f"l'événement {event_id} stocké ne correspond plus au contenu enregistré (champs : {names})",
            f"stored event {event_id} differs from the recorded content (fields: {names})",
        )
    return None


def _draft_problem(draft_id: str, canonical: str | None, draft: Any) -> tuple[str, str] | None:
    """A draft entry: its row must exist and hash to the recorded content."""
    if draft is None:
        if canonical is None:  # neither an event, nor a read, nor a draft: the row is gone
            return (
                f"l'événement {draft_id} n'existe plus dans feedback_events",
                f"event {draft_id} missing from feedback_events",
            )
        return (
            f"le brouillon {draft_id} n'existe plus dans drafts",
            f"draft {draft_id} missing from drafts",
        )
    if canonical is None:
        return (
            "contenu du journal effacé (la purge ne l'efface jamais)",
            "log content erased (retention never erases it)",
        )
    derived = draft_canonical(draft_id, draft._mapping)
    if derived != canonical:
        names = _differing_fields(canonical, derived)
        return (
            f"le brouillon {draft_id} stocké ne correspond plus au contenu enregistré (champs : {names} ; "
            "question, texte, citations, décision, versions… : l'un d'eux a changé)",
            f"stored draft {draft_id} differs from the recorded content (fields: {names})",
        )
    return None


def _say(seq: int, fr: str, en: str) -> str:
    return f"entrée {seq} : {fr} / entry {seq}: {en}"


def _gap(expected: int, seq: int) -> str:
    if seq > expected:
        return _say(expected, f"absente (la suivante est {seq})", f"missing (next entry is {seq})")
    return _say(
        expected, f"numéro en double ou désordonné ({seq})", f"duplicate or out-of-order number ({seq})"
    )


def _link(seq: int) -> str:
    if seq == 1:
        return _say(1, "prev_hash n'est pas l'origine (64 zéros)", "prev_hash is not the genesis hash")
    return _say(
        seq,
        f"prev_hash ne correspond pas à l'empreinte de l'entrée {seq - 1}",
        f"prev_hash does not match entry {seq - 1}'s hash",
    )


_CHECKPOINT_MISMATCH = (
    "le point de contrôle ne correspond pas à ce journal (historique réécrit ou autre journal) / "
    "checkpoint does not match this log (rewritten history or another log)"
)


def _checkpoint_problem(cp: Checkpoint, key: SigningKeyLike | None) -> str | None:
    if key is None:
        return None
    if cp.key_id != key_id(key):
        return (
            f"point de contrôle signé avec une autre clé (key_id {cp.key_id}) / "
            f"checkpoint signed with another key (key_id {cp.key_id}, expected {key_id(key)})"
        )
    if not verify_signature(cp, key):
        return "signature du point de contrôle invalide / checkpoint signature invalid"
    return None


def _orphan_events(conn: Connection) -> tuple[int, str | None]:
    """Events (or reads) with no entry: an entry was deleted, or a row slipped in outside the chain."""
    count, first = 0, None
    for table in (FeedbackEvent, AccessEvent):
        missing = (
            select(table.event_id)
            .outerjoin(AuditEntry, AuditEntry.event_id == table.event_id)
            .where(AuditEntry.seq.is_(None))
        )
        n = conn.execute(select(func.count()).select_from(missing.subquery())).scalar_one()
        if n and first is None:
            first = conn.execute(missing.order_by(table.occurred_at).limit(1)).scalar()
        count += n
    return count, first


def verify(
    engine: Engine,
    checkpoint: Checkpoint | None = None,
    key: SigningKeyLike | None = None,
    batch: int = 5000,
    retention_days: int | None = None,
) -> VerifyReport:
    """Recompute the chain and stop at the first broken entry. With a checkpoint, also require
    that the log still holds the checkpointed prefix (catches truncation and full rewrites); with
    a key, the checkpoint's signature must be valid before anything else is trusted."""
    keep_after = datetime.now(UTC) - timedelta(days=retention_days) if retention_days else None
    walk = _Walk(checkpoint, keep_after)
    if checkpoint is not None and checkpoint.algorithm == LEGACY_ALGORITHM:
        key = None  # the HMAC key is gone: only the head hash is checked (the report says so)

    def broken(seq: int | None, reason: str) -> VerifyReport:
        return VerifyReport(False, walk.size, seq, reason, walk.head, walk.size)

    if checkpoint is not None:
        problem = _checkpoint_problem(checkpoint, key)
        if problem is None and checkpoint.tree_size == 0 and checkpoint.head_hash != GENESIS:
            problem = _CHECKPOINT_MISMATCH
        if problem:
            return broken(None, problem)
    conn_options: dict[str, Any] = {}
    if engine.dialect.name == "postgresql":
        conn_options["isolation_level"] = "REPEATABLE READ"  # one snapshot across pages
    with engine.connect().execution_options(**conn_options) as conn:
        for rows, drafts in _entry_batches(conn, batch):
            found = walk.check(rows, drafts)
            if found:
                seq, reason = found
                return broken(None if reason is _CHECKPOINT_MISMATCH else seq, reason)
        if checkpoint is not None and checkpoint.tree_size > walk.size:
            return broken(
                walk.size + 1,
                f"journal tronqué : le point de contrôle couvre {checkpoint.tree_size} entrées, le journal "
                f"n'en a que {walk.size} / log truncated: checkpoint covers {checkpoint.tree_size} "
                f"entries, log has {walk.size}",
            )
        orphans, first = _orphan_events(conn)
        before_chain, unchained, first_draft = _unchained_drafts(conn)
    if orphans:
        return broken(
            None,
            f"l'événement {first} n'a pas d'entrée dans le journal ({orphans} au total ; "
            "entrée supprimée ?) / "
            f"event {first} has no audit entry ({orphans} in all; deleted entry?)",
        )
    if unchained:
        return broken(
            None,
            f"le brouillon {first_draft} n'a pas d'entrée dans le journal ({unchained} au total ; écrit "
            "hors de la chaîne ou entrée supprimée ?) / "
            f"draft {first_draft} has no audit entry ({unchained} in all; written outside the chain?)",
        )
    reason = _ok_reason(walk.size, checkpoint, key, before_chain)
    return VerifyReport(True, walk.size, None, reason, walk.head, walk.size, before_chain)


def _unchained_drafts(conn: Connection) -> tuple[int, int, str | None]:
    """Drafts with no entry: (older than the first chained draft — *antérieurs à la chaîne*, written
    before drafts entered it —, newer ones — a failure —, the first newer one)."""
    entered = aliased(DraftRecord)
    chained = select(func.min(entered.created_at)).join(AuditEntry, AuditEntry.event_id == entered.id)
    since = conn.execute(chained).scalar()
    missing = (
        select(DraftRecord.id, DraftRecord.created_at)
        .outerjoin(AuditEntry, AuditEntry.event_id == DraftRecord.id)
        .where(AuditEntry.seq.is_(None))
    )
    total = conn.execute(select(func.count()).select_from(missing.subquery())).scalar_one()
    if not total or since is None:
        return int(total), 0, None
    late = missing.where(DraftRecord.created_at >= chained.scalar_subquery())
    n_late = conn.execute(select(func.count()).select_from(late.subquery())).scalar_one()
    first = conn.execute(late.order_by(DraftRecord.created_at).limit(1)).first() if n_late else None
    return int(total - n_late), int(n_late), None if first is None else first[0]


def _ok_reason(
    size: int, cp: Checkpoint | None, key: SigningKeyLike | None, drafts_before_chain: int = 0
) -> str:
    fr, en = f"journal intègre : {size} entrées vérifiées", f"log intact: {size} entries verified"
    if drafts_before_chain:
        fr += f" ; {drafts_before_chain} brouillon(s) antérieur(s) à la chaîne (non couverts)"
        en += f"; {drafts_before_chain} draft(s) older than the chain (not covered)"
    if cp is not None:
        signed_fr, signed_en = (
            ("signature vérifiée", "signature verified")
            if key
            else (
                "signature non vérifiée (pas de clé)",
                "signature not checked (no key)",
            )
        )
        fr += f" ; conforme au point de contrôle ({cp.tree_size} entrées, {signed_fr})"
        en += f"; matches the checkpoint ({cp.tree_size} entries, {signed_en})"
    return f"{fr} / {en}"


# --------------------------------------------------------------------------- retention


def purge(engine: Engine, before: datetime) -> int:
    """Drop the payloads of events the server received before ``before`` (naive = UTC). The chain keeps
    each payload's digest and every other field, so it still verifies and still covers the type,
    date, pseudonym and outcome; what the payload said is gone for good. Returns how many payloads
    were purged now (0 when run again)."""
    cutoff = before.replace(tzinfo=UTC) if before.tzinfo is None else before.astimezone(UTC)
    # null() = SQL NULL; a bare None would be stored as the JSON text 'null' by the JSON type.
    # received_at, the server's clock: a client's occurred_at must neither hasten nor dodge retention.
    to_purge = (FeedbackEvent.received_at < cutoff) & FeedbackEvent.payload.is_not(None)
    with Session(engine) as session, session.begin():
        lock_chain(session)
        count = session.execute(select(func.count()).select_from(FeedbackEvent).where(to_purge)).scalar_one()
        session.execute(
            update(FeedbackEvent).where(to_purge).values(payload=null()),
            execution_options={"synchronize_session": False},
        )
    return int(count)


def purged_marker(text_: str) -> str:
    """What replaces a purged text: its SHA-256 stays, so a copy kept elsewhere can still be matched."""
    return f"{PURGED_PREFIX}{sha256_hex(text_)}]"


def _purged(value: Any) -> Any:
    if not isinstance(value, str) or value.startswith(PURGED_PREFIX):
        return value
    return purged_marker(value)


def purge_drafts(engine: Engine, before: datetime) -> int:
    """Retention for drafts created before ``before``: the masked question, the draft text and the
    citations' sentences are replaced by ``[purgé sha256:<hex>]`` (decision, topic, scores, chunk
    ids stay). A draft's chain entry hashes each text by its SHA-256, which the marker keeps
    (``text_sha256``): purged drafts still verify. Returns the drafts purged now (0 when run again)."""
    cutoff = before.replace(tzinfo=UTC) if before.tzinfo is None else before.astimezone(UTC)
    count = 0
    with Session(engine) as session, session.begin():
        rows = session.scalars(
            select(DraftRecord).where(
                (DraftRecord.created_at < cutoff) & ~DraftRecord.question_masked.startswith(PURGED_PREFIX)
            )
        ).all()
        for record in rows:
            record.question_masked = _purged(record.question_masked)
            record.draft_text = _purged(record.draft_text)
            record.citations = [
                {**c, **{k: _purged(c[k]) for k in _CITATION_TEXT_KEYS if c.get(k) is not None}}
                for c in record.citations or []
            ]
            count += 1
    return count


# --------------------------------------------------------------------------- export bundle


def export_bundle(
    engine: Engine, key: SigningKeyLike, checkpoints: int = 10, with_content: bool = True
) -> dict[str, Any]:
    """Everything needed to verify the log without the database or any secret (format
    ``hra-audit-bundle/1``, documented in AUDIT.md §5): per entry its hash, its content digest and
    — for version-2 content, which names no pseudonym and holds no text — the canonical content
    itself; the newest checkpoints under the current key; the public key. Checkpoints are read
    before the entries, so every checkpoint falls inside the entries (the log only grows).
    ``with_content=False``: digests only — enough to prove the log extends a receipt, and no
    per-event record (dates, draft ids, outcomes) leaves the server."""
    fp = key_id(key)
    signed = [asdict(cp) for cp in recent_checkpoints(engine, checkpoints) if cp.key_id == fp]
    entries: list[dict[str, Any]] = []
    head = GENESIS
    with engine.connect() as conn:
        after = 0
        while True:
            rows = conn.execute(
                select(AuditEntry.seq, AuditEntry.canonical, AuditEntry.content_digest, AuditEntry.entry_hash)
                .where(AuditEntry.seq > after)
                .order_by(AuditEntry.seq)
                .limit(5000)
            ).all()
            if not rows:
                break
            for seq, canonical, digest, entry_hash in rows:
                shareable = (
                    with_content
                    and canonical is not None
                    and canonical_version(canonical) == CANONICAL_VERSION
                )
                entries.append(
                    {
                        "seq": seq,
                        "entry_hash": entry_hash,
                        "content_digest": digest,
                        "content": canonical if shareable else None,
                    }
                )
                head = entry_hash
            after = rows[-1][0]
    return {
        "format": BUNDLE_FORMAT,
        "created_at": iso_utc(datetime.now(UTC)),
        "public_key": public_key_info(key),
        "tree_size": len(entries),
        "head_hash": head,
        "checkpoints": signed,
        "entries": entries,
    }
