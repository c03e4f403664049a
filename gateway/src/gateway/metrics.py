"""The proxy's own metrics, next to the kit's HTTP metrics of the admin side in one registry.

Counted in plain dictionaries and lists and turned into Prometheus families only when scraped: on
every proxied request that is a few dictionary operations, where the client library's counter and
histogram take locks and walk the buckets in Python (measured in bench/gateway.py as a visible share
of the gateway's CPU). Only the event loop writes them; a scrape reads a snapshot.
"""

from bisect import bisect_left
from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric

from quintet_shared.metrics import LATENCY_BUCKETS

_REQUESTS = (
    "gateway_proxied_requests",
    "Requests for the services, by service and response status (gateway refusals included)",
)
# Until the response starts rather than until it ends: an event stream may last for hours.
_LATENCY = ("gateway_proxy_response_seconds", "Time from the request's arrival until its response starts, by service")
_BOUNDS = tuple(float(bound) for bound in LATENCY_BUCKETS)


class ProxyMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self._requests: dict[tuple[str, int], int] = {}
        # Per service: a count per bucket (the last one past every bound), then the sum of seconds.
        self._latency: dict[str, list[float]] = {}
        registry.register(self)

    def observe(self, service: str, status: int, seconds: float) -> None:
        key = (service, status)
        self._requests[key] = self._requests.get(key, 0) + 1
        histogram = self._latency.get(service)
        if histogram is None:
            histogram = self._latency[service] = [0] * (len(_BOUNDS) + 2)
        histogram[bisect_left(_BOUNDS, seconds)] += 1  # a bucket counts values <= its bound
        histogram[-1] += seconds

    def describe(self) -> list[Metric]:
        return [CounterMetricFamily(*_REQUESTS, labels=["service", "status"]), HistogramMetricFamily(*_LATENCY)]

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(*_REQUESTS, labels=["service", "status"])
        for (service, status), count in sorted(self._requests.items()):
            requests.add_metric([service, str(status)], count)
        yield requests
        latency = HistogramMetricFamily(*_LATENCY, labels=["service"])
        for service, histogram in sorted(self._latency.items()):
            buckets, total = [], 0.0
            for bound, hits in zip((*_BOUNDS, float("inf")), histogram[:-1], strict=True):
                total += hits
                buckets.append((_bucket_label(bound), total))
            latency.add_metric([service], buckets, sum_value=histogram[-1])
        yield latency


def _bucket_label(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(bound)
