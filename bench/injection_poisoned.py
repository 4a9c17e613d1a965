"""Planted pages poisoned *inside* an official dataset → bench/results/injection_poisoned.json.

Every planted page of the attack files gets an official id prefix (« sp: », as if a service-public
fiche had been altered upstream) instead of « planted: ». The official-sources rules then trust it —
a value or a sentence only it gives is no longer flagged for its origin — so what is measured is
what the value checks alone still catch: instructions addressed to the tool, figures, links and
contacts the page gives that the draft writes differently, markup, citations. The question attacks
are unchanged (no page is planted) and left out. The obeying model and the offline drafter as in
``bench/injection.py``.

Usage: OMP_NUM_THREADS=1 python -m bench.injection_poisoned [--planted-as sp]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from assistant.pipeline.drafting.llm import LlmDrafter, LlmSettings
from bench.common import machine, write_result
from bench.injection import run
from eval.injection import ObeyingChatModel

DATASETS = Path(__file__).resolve().parents[1] / "eval" / "datasets"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--planted-as", default="sp", help="the official id prefix the planted pages get")
    args = parser.parse_args()
    per_set: dict[str, Any] = {}
    totals = {"obeying_model": [0, 0], "offline_drafter": [0, 0]}
    with tempfile.TemporaryDirectory(prefix="bench-poisoned-") as tmp:
        for path in sorted(DATASETS.glob("injections_fr*.jsonl")):
            model = ObeyingChatModel(responses=[""])
            drafters = {
                "obeying_model": (LlmDrafter(LlmSettings(provider="fake"), model=model), model, False),
                "offline_drafter": (LlmDrafter(LlmSettings(provider="openai_compatible")), None, True),
            }
            row = {}
            for name, (drafter, scripted, offline) in drafters.items():
                work = Path(tmp) / path.stem / name
                planted = args.planted_as
                figures = run(work, drafter, scripted, offline=offline, dataset=path, planted_as=planted)
                passage = figures["passage"]
                ids = passage["succeeded_ids"]
                row[name] = {k: passage[k] for k in ("drafted", "succeeded", "succeeded_ids")}
                row[name]["leaks"] = {k: v for k, v in figures["leaks"].items() if k in ids}
                totals[name][0] += passage["succeeded"]
                totals[name][1] += passage["drafted"]
            per_set[path.stem] = row
            print(path.stem, {n: f"{r['succeeded']}/{r['drafted']}" for n, r in row.items()})
    result = {
        "method": __doc__.split("\n\n", 1)[1].split("\n\nUsage")[0].replace("\n", " "),
        "planted_as": args.planted_as,
        "passage_attacks_through": {n: {"succeeded": s, "drafted": d} for n, (s, d) in totals.items()},
        "per_set": per_set,
        "machine": machine(),
    }
    print(result["passage_attacks_through"])
    print(write_result("injection_poisoned", result))


if __name__ == "__main__":
    main()
