"""Vérificateur autonome du journal d'audit — standalone verifier of an HRA audit bundle.

Un seul fichier, sans le code du projet : la bibliothèque standard de Python et le paquet
``cryptography`` (pour Ed25519) suffisent. À télécharger depuis ``GET /api/v1/audit/verifier.py``.

    python verify_audit.py paquet.json [--receipt recu.json] [--public-key CLE]

- ``paquet.json`` : l'export ``GET /api/v1/audit/bundle`` (format ``hra-audit-bundle/1``, décrit
  dans AUDIT.md §5) ;
- ``--receipt`` : un point de contrôle signé gardé par vous (``POST /api/v1/audit/checkpoint``) :
  le paquet doit le prolonger (même empreinte à la même taille) ;
- ``--public-key`` : la clé publique attendue (64 hexadécimaux), son empreinte (groupée ou non) ou
  un fichier qui contient l'une ou l'autre. Sans elle, la clé est prise dans le paquet lui-même :
  comparez alors l'empreinte affichée à celle d'AUDIT.md.

Le verdict est imprimé en français ; code de sortie 0 si tout est vérifié, 1 sinon.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any, TypeGuard

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = "hra-audit-bundle/1"
GENESIS = "0" * 64
ALGORITHM = "ed25519"
_HEX = frozenset("0123456789abcdef")
_CHECKPOINT_FIELDS = ("tree_size", "head_hash", "created_at", "algorithm", "key_id", "signature")


class Broken(Exception):
    """The first problem found: ``seq`` names the entry when the problem has one."""

    def __init__(self, reason: str, seq: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.seq = seq


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_hash(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and len(value) == 64 and _HEX.issuperset(value)


def grouped(hex_digest: str) -> str:
    return " ".join(hex_digest[i : i + 4] for i in range(0, len(hex_digest), 4))


# --------------------------------------------------------------------------- keys


def expected_key(text: str) -> str:
    """--public-key: a file or the value itself; a raw public key (64 hex) or a fingerprint.
    Returns what to compare: ('key:' + hex) or ('fp:' + hex)."""
    path = Path(text)
    try:
        if path.is_file():
            text = path.read_text(encoding="utf-8")
    except OSError:
        pass
    compact = "".join(text.split()).lower()
    if compact.startswith("{"):  # the JSON of /api/v1/audit/public-key
        try:
            return "key:" + str(json.loads(compact)["public_key_hex"]).lower()
        except (ValueError, KeyError, TypeError) as exc:
            raise Broken(f"clé publique attendue illisible ({exc})") from exc
    if not is_hash(compact):
        raise Broken("clé publique attendue illisible : 64 caractères hexadécimaux attendus")
    return "hex:" + compact


def load_public_key(bundle: dict[str, Any], expected: str | None) -> tuple[Ed25519PublicKey, str]:
    info = bundle.get("public_key")
    if not isinstance(info, dict) or info.get("algorithm") != ALGORITHM:
        raise Broken("clé publique absente du paquet ou algorithme autre qu'ed25519")
    raw_hex = info.get("public_key_hex")
    if not is_hash(raw_hex):
        raise Broken("clé publique du paquet mal formée (64 hexadécimaux attendus)")
    raw = bytes.fromhex(raw_hex)
    fingerprint = sha256_hex(raw)
    if info.get("fingerprint") != fingerprint:
        raise Broken("l'empreinte annoncée dans le paquet n'est pas celle de sa clé publique")
    if expected is not None:
        value = expected.split(":", 1)[1]
        # A 64-hex value is either the key itself or its fingerprint: accept either match.
        if value not in (raw_hex, fingerprint):
            raise Broken(
                "le paquet est signé par une autre clé que la clé attendue "
                f"(empreinte du paquet {grouped(fingerprint)})"
            )
    return Ed25519PublicKey.from_public_bytes(raw), fingerprint


# --------------------------------------------------------------------------- checkpoints


def parse_checkpoint(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Broken(f"{what} : objet JSON attendu")
    for name in _CHECKPOINT_FIELDS:
        value = data.get(name)
        kind = int if name == "tree_size" else str
        if not isinstance(value, kind) or isinstance(value, bool):
            raise Broken(f"{what} : champ {name!r} absent ou mal formé")
    if data["tree_size"] < 0 or not is_hash(data["head_hash"]):
        raise Broken(f"{what} : taille ou empreinte de tête mal formée")
    return {name: data[name] for name in _CHECKPOINT_FIELDS}


def signed_bytes(cp: dict[str, Any]) -> bytes:
    return canonical_json({k: cp[k] for k in _CHECKPOINT_FIELDS if k != "signature"}).encode("utf-8")


def check_signature(cp: dict[str, Any], key: Ed25519PublicKey, fingerprint: str, what: str) -> None:
    if cp["algorithm"] != ALGORITHM:
        raise Broken(f"{what} : algorithme {cp['algorithm']!r}, ed25519 attendu")
    if cp["key_id"] != fingerprint:
        raise Broken(f"{what} : signé avec une autre clé (empreinte {grouped(cp['key_id'][:64])})")
    try:
        key.verify(bytes.fromhex(cp["signature"]), signed_bytes(cp))
    except (InvalidSignature, ValueError) as exc:
        raise Broken(f"{what} : signature invalide") from exc


def check_prefix(cp: dict[str, Any], hashes: list[str], what: str) -> None:
    """The log must contain the checkpointed prefix: same hash at the same size."""
    size = cp["tree_size"]
    if size > len(hashes):
        raise Broken(
            f"{what} couvre {size} entrées, le paquet n'en a que {len(hashes)} : journal tronqué",
            len(hashes) + 1,
        )
    at = hashes[size - 1] if size else GENESIS
    if at != cp["head_hash"]:
        raise Broken(
            f"{what} ne correspond pas à l'entrée {size} du paquet : historique réécrit "
            "(le paquet ne prolonge pas ce point de contrôle)",
            size or None,
        )


# --------------------------------------------------------------------------- chain


def check_entries(entries: Any) -> tuple[list[str], int]:
    """Recompute the chain. Returns (entry hashes, entries whose content was shown)."""
    if not isinstance(entries, list):
        raise Broken("le paquet n'a pas de liste « entries »")
    sha, fromhex = hashlib.sha256, bytes.fromhex
    hashes: list[str] = []
    seen_digest: dict[str, int] = {}
    seen_event: dict[str, int] = {}
    head = GENESIS
    shown = 0
    for n, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise Broken(f"entrée {n} : objet JSON attendu", n)
        seq = entry.get("seq")
        if seq != n:
            if isinstance(seq, int) and not isinstance(seq, bool) and seq > n:
                raise Broken(f"entrée {n} : absente (la suivante est {seq})", n)
            raise Broken(f"entrée {n} : numéro en double ou désordonné ({seq})", n)
        digest, entry_hash, content = (
            entry.get("content_digest"),
            entry.get("entry_hash"),
            entry.get("content"),
        )
        if not is_hash(digest) or not is_hash(entry_hash):
            raise Broken(f"entrée {n} : empreinte mal formée (64 hexadécimaux attendus)", n)
        if content is not None:
            if not isinstance(content, str):
                raise Broken(f"entrée {n} : contenu mal formé (texte attendu)", n)
            if sha(content.encode("utf-8")).hexdigest() != digest:
                raise Broken(
                    f"entrée {n} : le contenu ne correspond pas à son empreinte (contenu modifié)", n
                )
            event_id = _event_id(content, n)
            if event_id in seen_event:
                raise Broken(f"entrée {n} : même événement que l'entrée {seen_event[event_id]} (doublon)", n)
            seen_event[event_id] = n
            shown += 1
        if sha(fromhex(head) + fromhex(digest)).hexdigest() != entry_hash:
            raise Broken(
                f"entrée {n} : l'empreinte de l'entrée ne correspond pas au chaînage "
                f"(entrée {n} ou {n - 1} modifiée, supprimée ou déplacée)"
                if n > 1
                else "entrée 1 : l'empreinte ne part pas de l'origine (64 zéros)",
                n,
            )
        if digest in seen_digest:
            raise Broken(f"entrée {n} : même contenu que l'entrée {seen_digest[digest]} (rejeu)", n)
        seen_digest[digest] = n
        hashes.append(entry_hash)
        head = entry_hash
    return hashes, shown


def _event_id(content: str, n: int) -> str:
    try:
        data = json.loads(content)
    except ValueError as exc:
        raise Broken(f"entrée {n} : contenu illisible (JSON attendu)", n) from exc
    if not isinstance(data, dict) or canonical_json(data) != content:
        raise Broken(f"entrée {n} : contenu non canonique", n)
    if "agent_pseudonym" in data:
        raise Broken(f"entrée {n} : le contenu publié contient un pseudonyme", n)
    return str(data.get("event_id"))


# --------------------------------------------------------------------------- verdict


def verify_bundle(
    bundle: Any, receipt: Any = None, public_key: str | None = None
) -> tuple[bool, str, int | None]:
    """(ok, French verdict, first bad entry or None). Never raises on bad input."""
    try:
        if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
            raise Broken(f"ce fichier n'est pas un paquet {FORMAT}")
        expected = expected_key(public_key) if public_key else None
        key, fingerprint = load_public_key(bundle, expected)
        rcpt = parse_checkpoint(receipt, "le reçu") if receipt is not None else None
        if rcpt is not None:
            check_signature(rcpt, key, fingerprint, "le reçu")
        checkpoints = bundle.get("checkpoints")
        if not isinstance(checkpoints, list):
            raise Broken("le paquet n'a pas de liste « checkpoints »")
        parsed = [parse_checkpoint(c, f"le point de contrôle n° {i}") for i, c in enumerate(checkpoints, 1)]
        for i, cp in enumerate(parsed, 1):
            check_signature(cp, key, fingerprint, f"le point de contrôle n° {i}")
        hashes, shown = check_entries(bundle.get("entries"))
        if bundle.get("tree_size") != len(hashes) or bundle.get("head_hash") != (
            hashes[-1] if hashes else GENESIS
        ):
            raise Broken("la taille ou l'empreinte de tête annoncées ne sont pas celles des entrées")
        for i, cp in enumerate(parsed, 1):
            check_prefix(cp, hashes, f"le point de contrôle n° {i}")
        if rcpt is not None:
            check_prefix(rcpt, hashes, "le reçu")
    except Broken as exc:
        where = f"entrée {exc.seq}" if exc.seq is not None else "paquet"
        reason = exc.reason.removeprefix(f"{where} : ")
        return False, f"INVALIDE ({where}) : {reason}", exc.seq
    lines = [
        f"VALIDE : {len(hashes)} entrées chaînées vérifiées ({shown} avec leur contenu, "
        f"{len(hashes) - shown} par leur seule empreinte)",
        f"{len(parsed)} point(s) de contrôle à signature valide, tous contenus dans ce journal",
    ]
    if rcpt is not None:
        lines.append(f"le journal prolonge votre reçu ({rcpt['tree_size']} entrées, signature valide)")
    if expected is None:
        lines.append(
            f"clé prise dans le paquet, empreinte {grouped(fingerprint)} : comparez-la à celle "
            "d'AUDIT.md ou passez --public-key"
        )
    else:
        lines.append(f"clé publique attendue : empreinte {grouped(fingerprint)}")
    return True, "\n".join(lines), None


def _load(path: str, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise Broken(f"{what} {path} illisible : {exc}") from exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Vérifie un paquet d'audit HRA (hra-audit-bundle/1).")
    parser.add_argument("bundle", help="paquet JSON (GET /api/v1/audit/bundle)")
    parser.add_argument("--receipt", help="reçu : point de contrôle signé gardé par vous")
    parser.add_argument("--public-key", help="clé publique ou empreinte attendue (ou fichier)")
    args = parser.parse_args(argv)
    try:
        bundle = _load(args.bundle, "paquet")
        receipt = _load(args.receipt, "reçu") if args.receipt else None
    except Broken as exc:
        print(f"INVALIDE : {exc.reason}")
        return 1
    ok, verdict, _ = verify_bundle(bundle, receipt, args.public_key)
    print(verdict)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
