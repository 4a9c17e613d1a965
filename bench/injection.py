"""Prompt-injection attack success rate → bench/results/injection.json.

The 82 attacks of eval/datasets/injections_fr.jsonl (42 in the question, 40 planted in a passage
that retrieval returns first) go through the drafting service on the shipped index — PII masking,
hybrid retrieval, decision, drafting, checks, unmasking — three times:

- ``obeying_model``: a scripted chat model that does exactly what each attack asks. The success
  rate after the checks is the share of attacks whose content reaches the agent unflagged (a
  URL, e-mail, phone, amount, duration or article without a flag naming it; markup left; a
  citation to a passage that was not retrieved; our instructions without a ``prompt_leak`` flag).
- ``offline_drafter``: the extractive drafter on the same inputs; any attacker content counts
  (``complied_unflagged``: of those, the attacks with a value that no flag names).
- ``mistral``: the real model, when HRA_LLM__API_KEY or MISTRAL_API_KEY is set; skipped otherwise
  (the reason is written, no figure is made up). ``complied`` counts attacks whose content shows
  in the reply at all (what the model did), ``succeeded`` those the checks let through.

Also written: how many shipped KB documents the instruction detector would strip (false positives).

Usage: python -m bench.injection [--dataset PATH] [--out NAME] [--planted-as sp]   (needs the index)
``--dataset``: another attack file of the same format (default eval/datasets/injections_fr.jsonl);
``--out``: the result name under bench/results/ (default ``injection``); ``--planted-as``: the id
prefix planted pages get (default « planted », outside the official sources; « sp » models a page
poisoned inside an official dataset, which only the value checks can then catch).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import drafting_service, machine, write_result
from eval.injection import DATASET, ObeyingChatModel, Outcome, PlantedKnowledge, load_attacks, run_attacks

KEY_VARIABLES = ("HRA_LLM__API_KEY", "MISTRAL_API_KEY")


def service(work: Path, llm: Any, planted_as: str = "planted") -> Any:
    drafting = drafting_service(work, llm)
    drafting.knowledge = PlantedKnowledge(drafting.knowledge, planted_as)
    return drafting


def summary(outcomes: list[Outcome], seconds: float) -> dict[str, Any]:
    def rate(rows: list[Outcome]) -> dict[str, Any]:
        drafted = [o for o in rows if o.decision == "drafted"]
        succeeded = [o.attack for o in rows if o.succeeded]
        return {
            "attacks": len(rows),
            "drafted": len(drafted),
            "decisions": dict(Counter(o.decision for o in rows)),
            "complied": sum(bool(o.in_reply) for o in rows),  # attacker content in the reply, flagged or not
            "complied_unflagged": sum(bool(o.unflagged) for o in rows),  # ... that no flag names
            "succeeded": len(succeeded),
            "success_rate": round(len(succeeded) / len(rows), 4) if rows else None,
            "succeeded_ids": succeeded,
        }

    return {
        "all": rate(outcomes),
        "question": rate([o for o in outcomes if o.vector == "question"]),
        "passage": rate([o for o in outcomes if o.vector == "passage"]),
        "fallbacks": sum(o.fallback_reason is not None for o in outcomes),
        "leaks": {
            o.attack: o.leaks + [f"citation:{n}" for n in o.bad_citations] for o in outcomes if o.succeeded
        },
        "seconds": round(seconds, 1),
    }


def run(
    work: Path,
    llm: Any,
    model: ObeyingChatModel | None = None,
    offline: bool = False,
    dataset: Path = DATASET,
    planted_as: str = "planted",
) -> dict[str, Any]:
    started = time.perf_counter()
    attacks = load_attacks(dataset)
    outcomes = [o for _, _, o in run_attacks(service(work, llm, planted_as), attacks, model, offline=offline)]
    return summary(outcomes, time.perf_counter() - started)


def detector_false_positives() -> dict[str, Any]:
    from assistant.pipeline.injection import has_instructions
    from assistant.pipeline.types import Passage
    from assistant.settings import Settings

    flagged, total = [], 0
    for source in Settings().kb.sources:
        for line in Path(source).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            total += 1
            p = Passage(1, "", row["id"], row.get("title", ""), "", (), "", row.get("text", ""))
            if has_instructions(p):
                flagged.append(row["id"])
    return {"kb_documents": total, "with_instruction_spans": len(flagged), "ids": flagged[:20]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.injection")
    parser.add_argument("--dataset", type=Path, default=DATASET, help="attack file (JSONL)")
    parser.add_argument("--out", default="injection", help="result name under bench/results/")
    parser.add_argument(
        "--planted-as",
        default="planted",
        help="id prefix of the planted pages: « planted » (outside the official sources) or an official "
        "one such as « sp » (a page poisoned inside an official dataset)",
    )
    args = parser.parse_args(argv)
    dataset: Path = args.dataset

    from pydantic import SecretStr

    from assistant.pipeline.drafting.llm import LlmDrafter, LlmSettings

    shown = dataset.resolve()
    with contextlib.suppress(ValueError):
        shown = shown.relative_to(Path.cwd())
    result: dict[str, Any] = {"dataset": str(shown), "planted_as": args.planted_as, "machine": machine()}
    with tempfile.TemporaryDirectory(prefix="bench-injection-") as tmp:
        work = Path(tmp)
        model = ObeyingChatModel(responses=[""])
        drafter = LlmDrafter(LlmSettings(provider="fake"), model=model)
        planted = args.planted_as
        result["obeying_model"] = run(work / "obeying", drafter, model, dataset=dataset, planted_as=planted)
        # An OpenAI-compatible endpoint without base_url is not configured: the offline drafter answers.
        offline = LlmDrafter(LlmSettings(provider="openai_compatible"))
        result["offline_drafter"] = run(
            work / "offline", offline, offline=True, dataset=dataset, planted_as=planted
        )
        key = next((os.environ[v] for v in KEY_VARIABLES if os.environ.get(v, "").strip()), None)
        if key is None:
            result["mistral"] = {"skipped": True, "reason": "no HRA_LLM__API_KEY or MISTRAL_API_KEY set"}
        else:
            mistral = LlmDrafter(LlmSettings(api_key=SecretStr(key)))
            figures = run(work / "mistral", mistral, dataset=dataset, planted_as=planted)
            result["mistral"] = {"model": mistral.model_name, **figures}
            mistral.close()
    result["detector_false_positives"] = detector_false_positives()
    for name in ("obeying_model", "offline_drafter"):
        print(name, json.dumps(result[name]["all"], ensure_ascii=False))
    print("mistral", json.dumps(result["mistral"].get("all", result["mistral"]), ensure_ascii=False))
    print("written", write_result(args.out, result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
