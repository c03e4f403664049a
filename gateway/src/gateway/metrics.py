"""The proxy's own metrics, next to the kit's HTTP metrics of the admin side in one registry."""

from prometheus_client import CollectorRegistry, Counter, Histogram

from quintet_shared.metrics import LATENCY_BUCKETS


class ProxyMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "gateway_proxied_requests_total",
            "Requests for the services, by service and response status (gateway refusals included)",
            ["service", "status"],
            registry=registry,
        )
        # Until the response starts rather than until it ends: an event stream may last for hours.
        self.latency = Histogram(
            "gateway_proxy_response_seconds",
            "Time from the request's arrival until its response starts, by service",
            ["service"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        # Label lookups cost more than the increments; the children are kept at hand.
        self._counters: dict[tuple[str, int], Counter] = {}
        self._histograms: dict[str, Histogram] = {}

    def observe(self, service: str, status: int, seconds: float) -> None:
        counter = self._counters.get((service, status))
        if counter is None:
            counter = self._counters[(service, status)] = self.requests.labels(service, str(status))
        histogram = self._histograms.get(service)
        if histogram is None:
            histogram = self._histograms[service] = self.latency.labels(service)
        counter.inc()
        histogram.observe(seconds)
