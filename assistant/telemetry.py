"""OpenTelemetry for the app: one tracer and meter per app instance (no global state to patch).

Spans: request (FastAPI instrumentation), retrieve, decide, draft (gen_ai.* attributes for LLM
calls), check. Attributes are ids, counts, durations and decisions — never question or draft
text, never an agent identity.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from opentelemetry.metrics import Counter, Histogram, Meter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace import Status, Tracer
from pydantic import BaseModel, Field


class TelemetrySettings(BaseModel):
    exporter: Literal["none", "console", "otlp"] = Field(
        default="none", description="Where spans and metrics go: nowhere, stdout, or an OTLP collector."
    )
    otlp_endpoint: str = Field(default="http://127.0.0.1:4318", description="OTLP/HTTP collector base URL.")
    service_name: str = Field(default="hr-drafting-assistant", description="service.name resource attribute.")


@dataclass
class Telemetry:
    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    tracer: Tracer
    meter: Meter
    request_ms: Histogram
    step_ms: Histogram

    def shutdown(self) -> None:
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()


def setup_telemetry(
    settings: TelemetrySettings,
    span_exporter: SpanExporter | None = None,
    metric_reader: MetricReader | None = None,
) -> Telemetry:
    """``span_exporter``/``metric_reader`` let tests plug in-memory ones in. Every exporter is
    wrapped in ``ScrubbingExporter``: what leaves the process never carries an exception's message."""
    resource = Resource.create({"service.name": settings.service_name})
    tracer_provider = TracerProvider(resource=resource)
    readers: list[MetricReader] = [metric_reader] if metric_reader else []
    if span_exporter is not None:
        tracer_provider.add_span_processor(SimpleSpanProcessor(ScrubbingExporter(span_exporter)))
    elif settings.exporter == "console":
        tracer_provider.add_span_processor(SimpleSpanProcessor(ScrubbingExporter(ConsoleSpanExporter())))
        readers.append(PeriodicExportingMetricReader(ConsoleMetricExporter()))
    elif settings.exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        base = settings.otlp_endpoint.rstrip("/")
        otlp = OTLPSpanExporter(endpoint=f"{base}/v1/traces")
        tracer_provider.add_span_processor(BatchSpanProcessor(ScrubbingExporter(otlp)))
        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=f"{base}/v1/metrics")))
    meter_provider = MeterProvider(resource=resource, metric_readers=readers)
    meter = meter_provider.get_meter("assistant")
    return Telemetry(
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        tracer=tracer_provider.get_tracer("assistant"),
        meter=meter,
        request_ms=meter.create_histogram(
            "hra.draft.duration", unit="ms", description="Draft request latency"
        ),
        step_ms=meter.create_histogram(
            "hra.pipeline.step.duration", unit="ms", description="Latency per step"
        ),
    )


class ScrubbingExporter(SpanExporter):
    """Keeps an exception's type, drops its message and stack trace before export. A driver error
    can quote the failing statement's values, an HTTP error the prompt it was sent: either would
    put a masked question or a pseudonym into the traces. The type is enough to count and alert."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.inner.export([scrubbed(span) for span in spans])

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.inner.force_flush(timeout_millis)


def scrubbed(span: ReadableSpan) -> ReadableSpan:
    if not any(e.name == "exception" for e in span.events) and not span.status.description:
        return span
    raised = [e for e in span.events if e.name == "exception"]
    kinds = [str((e.attributes or {}).get("exception.type", "")) for e in raised]
    events = [
        Event("exception", {"exception.type": kinds.pop(0), "exception.scrubbed": True}, e.timestamp)
        if e.name == "exception"
        else e
        for e in span.events
    ]
    # The status' description is "Type: message" (or just a message): only a type survives.
    description = (span.status.description or "").split(":", 1)[0] if span.status.description else None
    if description and not description.isidentifier():
        description = "error"
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=span.attributes,
        events=events,
        links=span.links,
        kind=span.kind,
        status=Status(span.status.status_code, description),
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


_LABEL = re.compile(r"^[a-z0-9][a-z0-9_.:+-]{0,39}$")


def _label(value: object) -> str:
    """A category label, or ``other``: a metric attribute is never free text (nor a pseudonym)."""
    text = str(value).strip().lower() if value is not None else "none"
    return text if _LABEL.match(text) else "other"


class FeedbackMetrics:
    """Metrics of the feedback pipeline, recorded from feedback.events.EventService (its
    ``recorder``) once an event is stored. Attributes: arm, topic, drafter, release (kb version),
    outcome or flag kind — categories only; topics that are not a short slug become ``other``."""

    def __init__(self, meter: Meter) -> None:
        def hist(name: str, description: str) -> Histogram:
            return meter.create_histogram(f"hra.feedback.{name}", unit="ms", description=description)

        self.time_to_send = hist("time_to_send", "Draft (or empty reply box) shown → text used")
        self.verification = hist("verification", "Time with at least one source open (sent or discarded)")
        self.correction = hist("correction", "Active editing time, pauses excluded (sent)")
        self.discard = hist("discard_time", "Time spent on a draft finally discarded")
        self.feedback = hist("verdict_delay", "Draft shown → verdict posted (the form itself is not timed)")
        self.outcomes: Counter = meter.create_counter(
            "hra.feedback.outcomes", description="Sent or discarded, by outcome"
        )
        self.regenerations: Counter = meter.create_counter(
            "hra.feedback.regenerations", description="Régénérer"
        )
        self.flags: Counter = meter.create_counter("hra.feedback.flags", description="Flags on shown drafts")
        self.verdicts: Counter = meter.create_counter(
            "hra.feedback.verdicts", description="Verdicts, down reasons"
        )

    def record(self, obs: Any) -> None:
        """``obs``: a feedback.events.Observation (duck-typed: assistant code stays independent)."""
        base = {
            "arm": _label(obs.arm),
            "topic": _label(obs.topic),
            "drafter": _label(obs.drafter),
            "release": _label(obs.release),
        }
        timings: dict[str, int] = obs.timings
        if obs.type == "sent":
            if "ms_to_send" in timings:
                self.time_to_send.record(timings["ms_to_send"], base)
            if "active_edit_ms" in timings:
                self.correction.record(timings["active_edit_ms"], base)
        if obs.type in ("sent", "discarded") and "sources_open_ms" in timings:
            self.verification.record(timings["sources_open_ms"], base)
        if obs.type == "discarded" and "ms_to_send" in timings:
            self.discard.record(timings["ms_to_send"], base)
        if obs.type in ("sent", "discarded"):
            self.outcomes.add(1, {**base, "outcome": _label(obs.outcome)})
        if obs.type == "regenerated":
            self.regenerations.add(1, base)
        if obs.type == "shown":
            for kind in obs.flag_kinds:
                self.flags.add(1, {**base, "kind": _label(kind)})
        if obs.type == "verdict":
            if "ms_to_send" in timings:
                self.feedback.record(timings["ms_to_send"], base)
            reasons = obs.down_reasons or ("up",)
            for reason in reasons:
                self.verdicts.add(1, {**base, "reason": _label(reason)})
