"""verify.js — the representatives' in-browser check of an audit bundle (AUDIT.md §5.4) — in Debian's
Chromium, against the standalone verifier (feedback/verifier/verify_audit.py, run as a separate
process on the very same files).

Every tamper case of tests/feedback/test_audit_receipts.py, plus cases aimed at what a browser gets
wrong (Python's canonical JSON: number notation, escapes, key order by code point; Python's ``==``
and ``bytes.fromhex``), is verified by both: the verdicts must be word for word the same, with the
same first bad entry. The module is served by a throwaway ``http.server`` on 127.0.0.1 (a secure
context: WebCrypto needs one) and loaded with ``import()``.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import re
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page

from assistant.app import create_app
from assistant.settings import Settings
from feedback.audit import export_bundle, make_checkpoint
from feedback.keys import fingerprint, grouped
from tests.feedback import test_audit_receipts as receipts
from tests.feedback.test_audit_receipts import (
    CASES,
    KEY,
    RECEIPT_AT,
    N,
    edit_content,
    rechain,
    resign,
    standalone,
)
from tests.fixtures.app import agent_bearer, bearer
from tests.fixtures.audit_log import migrated_engine, populate
from tests.panel.conftest import CHROMIUM_ARGS

pytestmark = pytest.mark.browser
STATIC = Path(__file__).resolve().parents[2] / "feedback" / "reps" / "static"
VERIFY_JS = STATIC / "verify.js"
CALL = "async ([b, r, k]) => (await import('/verify.js')).verifyFiles(b, r, k)"
# Makes this page's WebCrypto refuse Ed25519, as a browser without it would.
NO_ED25519 = """
const importKey = crypto.subtle.importKey.bind(crypto.subtle);
crypto.subtle.importKey = (format, data, alg, ...rest) =>
  (alg === "Ed25519" || (alg && alg.name === "Ed25519"))
    ? Promise.reject(new DOMException("Ed25519", "NotSupportedError"))
    : importKey(format, data, alg, ...rest);
"""


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def static_server(directory: Path) -> Iterator[str]:
    """``directory`` on a loopback port, in a thread, until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def open_verifier(browser: Browser, base: str, init_script: str | None = None) -> Page:
    page = browser.new_context().new_page()
    if init_script:
        page.add_init_script(init_script)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/verify.js")  # any page of that origin: the module is imported by the calls
    assert page.evaluate("window.isSecureContext && typeof crypto.subtle.digest === 'function'")
    page.evaluate("async () => { await import('/verify.js'); }")
    assert not errors, errors
    return page


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("verify-js")
    shutil.copy(VERIFY_JS, root / "verify.js")
    with static_server(root) as base:
        yield base


@pytest.fixture(scope="module")
def js(browser: Browser, served: str) -> Iterator[Page]:
    page = open_verifier(browser, served)
    yield page
    page.context.close()


# The same 30-event log, receipt at 20, as test_audit_receipts (its fixtures, reused as they are).
built, bundle, receipt = receipts.built, receipts.bundle, receipts.receipt


def both(
    page: Page, tmp: Path, bundle: Any, receipt: Any = None, public_key: str | None = None
) -> tuple[int, str, dict[str, Any]]:
    """The standalone verifier's (exit code, output) and verify.js's result, on the same files."""
    code, out = standalone(tmp, bundle, receipt, public_key)
    bundle_text = (tmp / "bundle.json").read_text(encoding="utf-8")
    receipt_text = (tmp / "receipt.json").read_text(encoding="utf-8") if receipt is not None else None
    result: dict[str, Any] = page.evaluate(CALL, [bundle_text, receipt_text, public_key])
    return code, out, result


def assert_agree(code: int, out: str, result: dict[str, Any]) -> None:
    assert result["ok"] == (code == 0), (out, result)
    if code == 0:
        assert result["firstBad"] is None and result["signatures"] == "ok", result
        # The same lines, but for the last one (the browser does not speak of --public-key).
        assert result["message"].splitlines()[:-1] == out.splitlines()[:-1], (out, result)
        return
    assert result["message"] == out.strip(), (out, result)
    seq = re.match(r"INVALIDE \(entrée (\d+)\)", out)
    assert result["firstBad"] == (int(seq.group(1)) if seq else None), (out, result)


# --------------------------------------------------------------------------- the receipts' cases


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_tamper_case_gets_the_standalone_verdict(
    name: str, js: Page, bundle: dict[str, Any], receipt: dict[str, Any], tmp_path: Path
) -> None:
    case = CASES[name]
    public_key = case.tamper(bundle, receipt)
    code, out, result = both(js, tmp_path, bundle, receipt if case.with_receipt else None, public_key)
    assert code == 1 and case.expected in out, out
    assert_agree(code, out, result)
    assert result["firstBad"] == case.seq


def test_an_intact_bundle_is_green(
    js: Page, bundle: dict[str, Any], receipt: dict[str, Any], tmp_path: Path
) -> None:
    for args in (
        (None, None),
        (receipt, None),
        (receipt, grouped(fingerprint(KEY))),
        (None, fingerprint(KEY)),
    ):
        code, out, result = both(js, tmp_path, bundle, *args)
        assert code == 0, out
        assert_agree(code, out, result)
        assert result["checked"] == N and result["message"].startswith(
            f"VALIDE : {N} entrées chaînées vérifiées"
        )
    code, out, result = both(js, tmp_path, bundle, receipt)
    assert "le journal prolonge votre reçu (20 entrées, signature valide)" in result["message"]
    assert grouped(fingerprint(KEY)) in result["message"]


def test_without_the_receipt_a_full_rewrite_looks_intact_here_too(
    js: Page, bundle: dict[str, Any], receipt: dict[str, Any], tmp_path: Path
) -> None:
    CASES["rewritten_history_before_receipt"].tamper(bundle, receipt)
    code, _, result = both(js, tmp_path, bundle)
    assert code == 0 and result["ok"]
    code, _, result = both(js, tmp_path, bundle, receipt)
    assert code == 1 and not result["ok"] and result["firstBad"] == RECEIPT_AT


# --------------------------------------------------------------------------- what a browser gets wrong

Tamper = Callable[[dict[str, Any], dict[str, Any]], str | None]


def _resealed(change: Callable[[dict[str, Any]], None]) -> Tamper:
    """A change the operator re-chains and re-signs: only the content rules can catch it."""

    def tamper(b: dict[str, Any], _: dict[str, Any]) -> None:
        change(b)
        rechain(b)
        resign(b)

    return tamper


def _field(seq: int, raw: str) -> Tamper:
    """Appends ``"zz":<raw>`` to entry ``seq``'s content as text (zz sorts after every v2 field)."""

    def change(b: dict[str, Any]) -> None:
        entry = b["entries"][seq - 1]
        entry["content"] = entry["content"][:-1] + f',"zz":{raw}}}'

    return _resealed(change)


def _edited(seq: int, **fields: Any) -> Tamper:
    return _resealed(lambda b: edit_content(b, seq, **fields))


def _content(seq: int, text: Callable[[str], str]) -> Tamper:
    def change(b: dict[str, Any]) -> None:
        entry = b["entries"][seq - 1]
        entry["content"] = text(entry["content"])

    return _resealed(change)


def _set(path: Callable[[dict[str, Any]], Any], key: Any, value: Any) -> Tamper:
    def tamper(b: dict[str, Any], _: dict[str, Any]) -> None:
        path(b)[key] = value

    return tamper


def _replayed_digest(b: dict[str, Any], _: dict[str, Any]) -> None:
    e = b["entries"]
    e[8]["content"] = e[9]["content"] = None  # shown by their digest only, as v1 entries are
    e[9]["content_digest"] = e[8]["content_digest"]
    rechain(b)
    resign(b)


def _same_event_id_as_text(b: dict[str, Any], _: dict[str, Any]) -> None:
    edit_content(b, 5, event_id=None)
    edit_content(b, 6, event_id="None")  # Python's str(None): the same event for the verifier
    rechain(b)
    resign(b)


def _digests_only(b: dict[str, Any], _: dict[str, Any]) -> None:
    for entry in b["entries"]:
        entry["content"] = None


def _signature_upper(b: dict[str, Any], _: dict[str, Any]) -> None:
    b["checkpoints"][0]["signature"] = b["checkpoints"][0]["signature"].upper()  # bytes.fromhex accepts it


def _signature_spaced(b: dict[str, Any], _: dict[str, Any]) -> None:
    sig = b["checkpoints"][0]["signature"]
    b["checkpoints"][0]["signature"] = " ".join(sig[i : i + 2] for i in range(0, len(sig), 2))


def _signature_odd(b: dict[str, Any], _: dict[str, Any]) -> None:
    b["checkpoints"][0]["signature"] = b["checkpoints"][0]["signature"][:-1]


def _no_signature(b: dict[str, Any], _: dict[str, Any]) -> None:
    del b["checkpoints"][1]["signature"]


def _receipt_emptied(_: dict[str, Any], r: dict[str, Any]) -> None:
    r.clear()


def _receipt_head_moved(_: dict[str, Any], r: dict[str, Any]) -> None:
    r["head_hash"] = "a" * 64


def _key_as_json(b: dict[str, Any], _: dict[str, Any]) -> str:
    return json.dumps({"public_key_hex": b["public_key"]["public_key_hex"].upper()})


def _key_unreadable(_: dict[str, Any], __: dict[str, Any]) -> str:
    return "pas une clé"


# name → (tamper, with the receipt, what the standalone verifier must say: "VALIDE" or a part of it)
EXTRA: dict[str, tuple[Tamper, bool, str]] = {
    "float_in_python_notation_1e-05": (_field(5, "1e-05"), False, "VALIDE"),
    "float_in_js_notation_0.00001": (_field(5, "0.00001"), False, "non canonique"),
    "float_1e+16": (_field(5, "1e+16"), False, "VALIDE"),
    "float_1.0e+16": (_field(5, "1.0e+16"), False, "non canonique"),
    "float_2.0": (_field(5, "2.0"), False, "VALIDE"),
    "float_0.1_plus_0.2": (_field(5, "0.30000000000000004"), False, "VALIDE"),
    "float_upper_exponent": (_field(5, "1E-05"), False, "non canonique"),
    "minus_zero_int": (_field(5, "-0"), False, "non canonique"),
    "big_int": (_field(5, "123456789012345678901234567890"), False, "VALIDE"),
    "nan_as_python_writes_it": (_field(5, "NaN"), False, "VALIDE"),
    "infinity_overflow": (_field(5, "1e400"), False, "non canonique"),
    "escaped_accent": (_field(5, '"\\u00e9"'), False, "non canonique"),
    "escaped_slash": (_field(5, '"a\\/b"'), False, "non canonique"),
    "escaped_control_upper_hex": (_field(5, '"\\u001F"'), False, "non canonique"),
    "escaped_control_lower_hex": (_field(5, '"\\u001f"'), False, "VALIDE"),
    "raw_control_character": (_field(5, '"a\tb"'), False, "illisible"),
    "accents_emoji_and_escapes": (_edited(5, zz='congés é ü 😀 "a"\\ \n\u0001\u007f\u2028'), False, "VALIDE"),
    "keys_by_code_point_not_utf16": (_edited(5, **{"\uffff": 1, "😀": 2}), False, "VALIDE"),
    "nested_object_keys_unsorted": (_field(5, '{"b":1,"a":2}'), False, "non canonique"),
    "nested_values": (_field(5, '[{"a":[true,false,null]},[],{}]'), False, "VALIDE"),
    "repeated_key": (_content(5, lambda c: c[:-1] + ',"v":2}'), False, "non canonique"),
    "unsorted_keys": (
        _content(
            5,
            lambda c: json.dumps(
                dict(reversed(json.loads(c).items())), separators=(",", ":"), ensure_ascii=False
            ),
        ),
        False,
        "non canonique",
    ),
    "space_after_colon": (_content(5, lambda c: c.replace('"v":', '"v": ')), False, "non canonique"),
    "leading_space": (_content(5, lambda c: " " + c), False, "non canonique"),
    "trailing_comma": (_content(5, lambda c: c[:-1] + ",}"), False, "illisible"),
    "content_not_json": (_content(5, lambda _: "pas du JSON"), False, "illisible"),
    "content_a_list": (_content(5, lambda _: "[1,2]"), False, "non canonique"),
    "content_a_number": (_content(5, lambda _: "5"), False, "non canonique"),
    "same_event_id_none_and_text": (_same_event_id_as_text, False, "même événement que l'entrée 5"),
    "replayed_digest": (_replayed_digest, False, "rejeu"),
    "digests_only": (_digests_only, True, "VALIDE"),
    "first_entry_hash": (_set(lambda b: b["entries"][0], "entry_hash", "f" * 64), False, "origine"),
    "seq_as_text": (_set(lambda b: b["entries"][4], "seq", "5"), False, "en double ou désordonné (5)"),
    "seq_missing": (_set(lambda b: b["entries"][4], "seq", None), False, "désordonné (None)"),
    "seq_true_is_1_for_python": (_set(lambda b: b["entries"][0], "seq", True), False, "VALIDE"),
    "seq_float": (_set(lambda b: b["entries"][4], "seq", 4.5), False, "désordonné (4.5)"),
    "entry_not_an_object": (_set(lambda b: b["entries"], 3, [1]), False, "objet JSON attendu"),
    "content_not_text": (_set(lambda b: b["entries"][3], "content", {"a": 1}), False, "texte attendu"),
    "digest_upper_hex": (_set(lambda b: b["entries"][3], "content_digest", "A" * 64), False, "mal formée"),
    "entries_not_a_list": (_set(lambda b: b, "entries", {}), False, "« entries »"),
    "checkpoints_not_a_list": (_set(lambda b: b, "checkpoints", None), False, "« checkpoints »"),
    "checkpoint_other_algorithm": (
        _set(lambda b: b["checkpoints"][0], "algorithm", "hmac-sha256"),
        False,
        "'hmac-sha256'",
    ),
    "checkpoint_negative_size": (_set(lambda b: b["checkpoints"][0], "tree_size", -1), False, "mal formée"),
    "checkpoint_size_as_text": (_set(lambda b: b["checkpoints"][0], "tree_size", "20"), False, "'tree_size'"),
    "checkpoint_without_signature": (_no_signature, False, "'signature'"),
    "signature_upper_hex": (_signature_upper, False, "VALIDE"),
    "signature_spaced_pairs": (_signature_spaced, False, "VALIDE"),
    "signature_odd_length": (_signature_odd, False, "signature invalide"),
    "public_key_other_algorithm": (
        _set(lambda b: b["public_key"], "algorithm", "rsa"),
        False,
        "autre qu'ed25519",
    ),
    "public_key_upper_hex": (
        _set(lambda b: b["public_key"], "public_key_hex", "A" * 64),
        False,
        "mal formée",
    ),
    "head_hash_announced": (_set(lambda b: b, "head_hash", "0" * 64), False, "annoncées"),
    "tree_size_true": (_set(lambda b: b, "tree_size", True), False, "annoncées"),
    "receipt_emptied": (_receipt_emptied, True, "le reçu : champ 'tree_size'"),
    "receipt_head_moved": (_receipt_head_moved, True, "le reçu : signature invalide"),
    "expected_key_as_json": (_key_as_json, True, "VALIDE"),
    "expected_key_unreadable": (_key_unreadable, False, "64 caractères hexadécimaux"),
}


def test_there_are_enough_cases() -> None:
    assert len(CASES) + sum(1 for _, _, want in EXTRA.values() if want != "VALIDE") >= 20


@pytest.mark.parametrize("name", sorted(EXTRA))
def test_python_rules_hold_in_the_browser(
    name: str, js: Page, bundle: dict[str, Any], receipt: dict[str, Any], tmp_path: Path
) -> None:
    tamper, with_receipt, want = EXTRA[name]
    public_key = tamper(bundle, receipt)
    code, out, result = both(js, tmp_path, bundle, receipt if with_receipt else None, public_key)
    assert want in out and (code == 0) == (want == "VALIDE"), out
    assert_agree(code, out, result)


def test_an_empty_log_and_its_receipt(js: Page, tmp_path: Path) -> None:
    engine = migrated_engine(tmp_path / "empty.sqlite")
    empty_receipt = asdict(make_checkpoint(engine, KEY))
    code, out, result = both(js, tmp_path, export_bundle(engine, KEY), empty_receipt)
    assert code == 0 and result["checked"] == 0
    assert_agree(code, out, result)
    populate(engine, 3)
    code, out, result = both(js, tmp_path, export_bundle(engine, KEY), empty_receipt)
    assert code == 0
    assert_agree(code, out, result)
    engine.dispose()


# --------------------------------------------------------------------------- the real API's bundle


@pytest.fixture
def client(app_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings), headers=bearer("rep")) as c:
        yield c


def test_the_apis_bundle_and_receipt(js: Page, client: TestClient, tmp_path: Path) -> None:
    """Drafts and events through the API (events, then reads of the log: access entries too)."""
    for agent in (1, 2):
        res = client.post(
            "/api/v1/drafts",
            json={"question": "Combien de jours de congés payés par mois ?"},
            headers=agent_bearer(agent),
        )
        assert res.status_code == 201, res.text
        draft_id = res.json()["draft_id"]
        for kind, extra in (
            ("shown", {}),
            ("sent", {"final_text": "Bonjour, 2,5 jours ouvrables par mois."}),
        ):
            event = {"event_id": str(uuid.uuid4()), "draft_id": draft_id, "type": kind, **extra}
            assert (
                client.post("/api/v1/feedback/events", json=event, headers=agent_bearer(agent)).status_code
                == 201
            )
    kept = client.post("/api/v1/audit/checkpoint").json()
    key = client.get("/api/v1/audit/public-key").json()
    for query in ("", "?content=false"):
        bundle = client.get(f"/api/v1/audit/bundle{query}").json()
        code, out, result = both(js, tmp_path, bundle, kept, key["fingerprint_grouped"])
        assert code == 0 and result["ok"] and result["checked"] == bundle["tree_size"] >= 5, out
        assert_agree(code, out, result)
        bundle["entries"][-1]["entry_hash"] = "0" * 64
        code, out, result = both(js, tmp_path, bundle, kept)
        assert code == 1
        assert_agree(code, out, result)


# --------------------------------------------------------------------------- files and browsers


def test_unreadable_files_get_a_french_verdict(js: Page, bundle: dict[str, Any]) -> None:
    result = js.evaluate(CALL, ["{pas du JSON", None, None])
    assert not result["ok"] and result["message"].startswith(
        "INVALIDE : paquet illisible : ce n'est pas un fichier JSON"
    )
    result = js.evaluate(CALL, [json.dumps(bundle), "recu ?", None])
    assert not result["ok"] and result["message"].startswith("INVALIDE : reçu illisible")
    result = js.evaluate(CALL, ["[]", None, None])
    assert result["message"] == "INVALIDE (paquet) : ce fichier n'est pas un paquet hra-audit-bundle/1"
    result = js.evaluate(CALL, [json.dumps(bundle), "", None])  # no receipt given
    assert result["ok"] and result["signatures"] == "ok"


def test_without_ed25519_the_chain_is_still_checked(
    browser: Browser, served: str, bundle: dict[str, Any], receipt: dict[str, Any]
) -> None:
    page = open_verifier(browser, served, NO_ED25519)
    try:
        text, kept = json.dumps(bundle, ensure_ascii=False), json.dumps(receipt)
        result = page.evaluate(CALL, [text, kept, None])
        assert result["ok"] and result["signatures"] == "unsupported", result
        assert "signatures non vérifiées par ce navigateur" in result["message"]
        assert "signature non vérifiée par ce navigateur" in result["message"]
        forged = copy.deepcopy(bundle)
        CASES["forged_checkpoint_signature"].tamper(forged, receipt)
        assert page.evaluate(CALL, [json.dumps(forged), None, None])["signatures"] == "unsupported"
        for name in ("edited_outcome", "truncated_tail_checkpoints_dropped", "checkpoint_from_another_key"):
            tampered, r = copy.deepcopy(bundle), copy.deepcopy(receipt)
            case = CASES[name]
            case.tamper(tampered, r)
            result = page.evaluate(
                CALL, [json.dumps(tampered), json.dumps(r) if case.with_receipt else None, None]
            )
            assert (
                not result["ok"] and result["firstBad"] == case.seq and case.expected in result["message"]
            ), result
    finally:
        page.context.close()
