"""Prometheus metrics, one registry per component: in embedded mode several share a process."""

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


@dataclass
class Metrics:
    component: str
    registry: CollectorRegistry = field(default_factory=lambda: CollectorRegistry(auto_describe=True))

    def __post_init__(self) -> None:
        r = self.registry
        self.requests = Counter(
            "http_requests_total", "HTTP requests by route and status", ["route", "method", "status"], registry=r
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP latency by route",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.published = Counter("bus_messages_published_total", "Messages confirmed by the broker", registry=r)
        self.consumed = Counter(
            "bus_messages_handled_total", "Messages handled, by outcome", ["queue", "outcome"], registry=r
        )
        self.jobs = Counter("jobs_total", "Jobs finished, by kind and status", ["kind", "status"], registry=r)
        self.schedules = Counter("schedule_fired_total", "Schedule firings", ["schedule"], registry=r)

    def endpoint(self):
        async def metrics(_request: Request) -> Response:
            return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

        return metrics
