from prometheus_client import CollectorRegistry, generate_latest

from gateway.metrics import ProxyMetrics


def samples(registry: CollectorRegistry) -> set[str]:
    return {line for line in generate_latest(registry).decode().splitlines() if not line.startswith("#")}


def test_counts_and_latency_histogram_as_prometheus_sees_them():
    registry = CollectorRegistry(auto_describe=True)
    metrics = ProxyMetrics(registry)
    for status, seconds in [(200, 0.001), (200, 0.003), (404, 0.0001), (502, 40.0)]:
        metrics.observe("readings", status, seconds)
    found = samples(registry)
    assert {
        'gateway_proxied_requests_total{service="readings",status="200"} 2.0',
        'gateway_proxied_requests_total{service="readings",status="404"} 1.0',
        'gateway_proxy_response_seconds_bucket{le="0.001",service="readings"} 2.0',  # a bound is inclusive
        'gateway_proxy_response_seconds_bucket{le="0.005",service="readings"} 3.0',
        'gateway_proxy_response_seconds_bucket{le="30.0",service="readings"} 3.0',
        'gateway_proxy_response_seconds_bucket{le="+Inf",service="readings"} 4.0',
        'gateway_proxy_response_seconds_count{service="readings"} 4.0',
    } <= found
    assert any(line.startswith('gateway_proxy_response_seconds_sum{service="readings"} 40.004') for line in found)
