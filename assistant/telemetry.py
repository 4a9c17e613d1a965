"""OpenTelemetry for the app: one tracer and meter per app instance (no global state to patch).

Spans: request (FastAPI instrumentation), retrieve, decide, draft (gen_ai.* attributes for LLM
calls), check. Attributes are ids, counts, durations and decisions — never question or draft
text, never an agent identity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from opentelemetry.metrics import Histogram, Meter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace import Tracer
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
    """``span_exporter``/``metric_reader`` let tests plug in-memory ones in."""
    resource = Resource.create({"service.name": settings.service_name})
    tracer_provider = TracerProvider(resource=resource)
    readers: list[MetricReader] = [metric_reader] if metric_reader else []
    if span_exporter is not None:
        tracer_provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    elif settings.exporter == "console":
        tracer_provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
        readers.append(PeriodicExportingMetricReader(ConsoleMetricExporter()))
    elif settings.exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        base = settings.otlp_endpoint.rstrip("/")
        tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{base}/v1/traces")))
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
