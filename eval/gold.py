"""The gold set as eval samples: eval/datasets/questions-dev.jsonl run through the configured
retrieval (every question with relevant documents: the top-10 document ids) and through the
offline drafter (questions with a reference answer: the draft, its passages' texts).

Uses the index the app uses (``HRA_KB__INDEX_DIR``); drafts go to a throw-away SQLite file.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from assistant.release import release_settings
from eval.runs import release, settings_hash

GOLD = Path(__file__).parent / "datasets" / "questions-dev.jsonl"
Progress = Callable[[str, int, int], None]


def load_gold(path: Path = GOLD, limit: int | None = None) -> list[dict[str, Any]]:
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    rows = [r for r in rows if r["relevant_ids"] or r.get("reference_answer")]
    return rows[:limit] if limit else rows


def gold_samples(
    questions: list[dict[str, Any]],
    settings: Any = None,
    progress: Progress | None = None,
    workers: int = 2,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(samples, release) for the given gold questions with the app's settings (default: env)."""
    from assistant.pipeline.drafting.llm import LlmDrafter, LlmSettings
    from assistant.services.drafting import DraftingService, DraftRequest
    from assistant.services.knowledge import KnowledgeService
    from assistant.settings import Settings
    from assistant.telemetry import TelemetrySettings, setup_telemetry
    from feedback.db import make_engine, migrate
    from feedback.drafts import DraftStore

    base = settings or Settings()
    with tempfile.TemporaryDirectory(prefix="hra-eval-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'drafts.sqlite'}"
        migrate(url)
        settings = base.model_copy(update={"database_url": url})
        knowledge = KnowledgeService(settings)
        knowledge.start()
        engine = make_engine(url)
        service = DraftingService(
            settings,
            knowledge,
            DraftStore(engine),
            setup_telemetry(TelemetrySettings()),
            LlmDrafter(LlmSettings(api_key=None, provider="mistral")),  # unconfigured: offline drafter
        )
        searcher = knowledge.searcher()

        def one(q: dict[str, Any]) -> dict[str, Any]:
            sample: dict[str, Any] = {
                "sample_id": q["id"],
                "user_input": q["question"],
                "reference_context_ids": q["relevant_ids"],
                "retrieved_context_ids": searcher.search_documents(q["question"], n=10),
                "response": None,
                "retrieved_contexts": [],
                "reference": q.get("reference_answer"),
            }
            if q.get("reference_answer"):
                draft = service.create(DraftRequest(q["question"], arm="assisted"))
                sample["response"] = draft.get("text")
                sample["retrieved_contexts"] = [p["text"] for p in draft.get("passages", [])]
            return sample

        samples = []
        # The searcher and the drafting service serve concurrent requests in the app: two workers
        # keep both cores busy (the embedders' numpy kernels release the GIL). Order is kept.
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for i, sample in enumerate(pool.map(one, questions)):
                samples.append(sample)
                if progress:
                    progress("gold: retrieve + draft", i + 1, len(questions))
        engine.dispose()
        kb_version = searcher.index.kb_version
    used = release_settings(base)
    return samples, release(
        kb_version=kb_version,
        prompt_version=None,
        drafter="offline",
        model=None,
        settings_hash=settings_hash(used),
    )
