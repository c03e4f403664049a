"""What the gateway adds to a request: one trivial endpoint loaded directly, then through the gateway.

    python bench/gateway.py [--duration 10] [--connections 32] [--rounds 3]

Starts, as separate processes on 127.0.0.1, a trivial upstream (uvicorn + FastAPI, a GET returning
small JSON, with the server options of every component: quintet_shared.http_server) and the gateway
(`gateway serve`: the same options) with a client registered in a throwaway SQLite database. Each
round loads the upstream directly and then the same path through the gateway, with
`wrk -t1 -c32 --latency` when wrk is installed (`apt-get install -y wrk`), else with a bounded
aiohttp load generator in this process.
Prints requests/s, p50 and p99 of both, the throughput ratio and the p50 the gateway adds, and
PASS/FAIL against the targets: >= 60 % of direct throughput, <= 1 ms added at p50. With several
rounds the median round counts. Everything stops by itself; only loopback traffic.

What the gateway runs on this path: uvicorn (uvloop, httptools, writes of one loop turn sent
together) serving a raw ASGI dispatcher; the proxy checks the app id (cached), the grant and the rate
limit, signs, and forwards over its own HTTP/1.1 client (gateway/upstream_connection.py,
upstream_pool.py, http_upstream.py: asyncio protocols, httptools' response parser, a keep-alive pool
per service). With aiohttp's client in its place the gateway reached 49-62 % of direct and added
2-4 ms at p50; aiohttp alone cost about 120 us of CPU per request.

Measured on a two-core machine, 7 runs of `--rounds 3`: direct 8,900-9,050 requests/s (p50 3.5 ms,
p99 3.8-4.3 ms); through the gateway 7,740-8,640 requests/s (p50 3.6-4.2 ms, p99 5.5-6.2 ms). That
is 86-95 % of direct and 0.13-0.67 ms added at p50 (median 0.41 ms): both targets held in every run.
Before responses were written once (uvicorn writes a response's head and body separately), 11 runs
gave 77-95 % and 0.33-1.14 ms added (median 0.85 ms, over 1 ms in 4 runs); writing once also made
the upstream itself about a fifth faster (7,300 to 9,000 requests/s direct). With 32 connections in
flight p50 is about 32 / throughput, so 1 ms added means about 76 % of direct. A profile of the
gateway under load puts most of its CPU in socket writes and reads and the event loop, and under a
fifth in the gateway's own Python.

Pinning (`taskset -c`): on a two-core machine wrk runs pinned to the last core, as in MEASURED.md,
and the servers are left to the scheduler. Also pinning the gateway to the other core was measured
in nine paired rounds against this (with the earlier aiohttp client): no difference beyond the
noise, so the simpler setup stays. With three or more cores wrk, the gateway and the upstream each
get a core of their own.

With the server limits of every component (quintet_shared.http_limits: head size, read timeouts,
connection cap), two runs of `--rounds 3` on a quiet machine: direct 11,363-11,984 requests/s,
through the gateway 75 % and 90 % of it, 0.91 and 0.31 ms added at p50: both targets held.

Run to run, this machine varies by up to a third in direct throughput alone (other work on the
host): hence three rounds by default, and the median counts.
"""

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and its own name would shadow the
# `gateway` package it measures.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

PATH = "/readings/ping"
TARGET_RATIO = 0.60
TARGET_ADDED_P50_MS = 1.0


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def serve_upstream(port: int) -> None:
    """The upstream process: the smallest FastAPI service that looks like one of ours."""
    import uvicorn
    from fastapi import FastAPI

    app = FastAPI()

    @app.get(PATH)
    async def ping() -> dict[str, object]:
        return {"status": "ok", "items": [1, 2, 3]}

    from quintet_shared.http_server import server_options

    # Served as every component's API is (`<component> serve`), so that both paths end in the same server.
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", **server_options())


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def register_client(database_url: str) -> str:
    from gateway import registry
    from gateway.migrate import migrate
    from gateway.models import MAX_RATE_LIMIT, ClientCreate
    from quintet_shared.db import make_engine, session_scope

    migrate(database_url)
    engine = make_engine(database_url)
    data = ClientCreate(code="bench", name="Bench", services=["readings"], rate_limit_per_minute=MAX_RATE_LIMIT)
    with session_scope(engine) as session:
        _client, app_id = registry.register(
            session, data=data, known_services={"readings"}, default_rate_limit=600, now=datetime.now(UTC)
        )
    engine.dispose()
    return app_id


def cores() -> dict[str, list[int]]:
    """Which cores each process may use (empty: unpinned)."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) >= 3 and shutil.which("taskset"):
        return {"wrk": [available[0]], "gateway": [available[1]], "upstream": [available[2]]}
    if len(available) == 2 and shutil.which("taskset"):
        return {"wrk": [available[-1]], "gateway": [], "upstream": []}
    return {"wrk": [], "gateway": [], "upstream": []}


def pinned(command: list[str], cpus: list[int]) -> list[str]:
    return ["taskset", "-c", ",".join(map(str, cpus)), *command] if cpus else command


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_until_up(url: str, process: subprocess.Popen, headers: dict[str, str]) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"a server exited early (code {process.returncode})")
        try:
            if httpx.get(url, headers=headers, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def _milliseconds(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(url: str, headers: dict[str, str], *, duration: int, connections: int, cpus: list[int]) -> Result:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        pinned([*command, url], cpus), capture_output=True, text=True, timeout=duration + 30, check=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _milliseconds(re.search(r"\s50%\s+(\S+)", output).group(1))
    p99 = _milliseconds(re.search(r"\s99%\s+(\S+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    count = int(errors.group(1)) if errors else 0
    count += sum(map(int, socket_errors.groups())) if socket_errors else 0
    return Result(rps, p50, p99, count)


async def _python_load(url: str, headers: dict[str, str], duration: float, connections: int) -> Result:
    import aiohttp

    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + duration
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def worker() -> None:
            nonlocal errors
            while (started := time.perf_counter()) < stop_at:
                async with session.get(url) as response:
                    await response.read()
                    errors += response.status != 200
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(worker() for _ in range(connections)))
    latencies.sort()
    quantile = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    return Result(len(latencies) / duration, quantile(0.50), quantile(0.99), errors)


def load(url: str, headers: dict[str, str], *, duration: int, connections: int, cpus: list[int]) -> Result:
    if shutil.which("wrk"):
        return run_wrk(url, headers, duration=duration, connections=connections, cpus=cpus)
    return asyncio.run(_python_load(url, headers, duration, connections))


def median_result(results: list[Result]) -> Result:
    ranked = sorted(results, key=lambda r: r.rps)
    return ranked[len(ranked) // 2]


def report(direct: Result, through: Result) -> bool:
    ratio = through.rps / direct.rps
    added = through.p50_ms - direct.p50_ms
    print(f"{'path':<10}{'requests/s':>12}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for name, result in (("direct", direct), ("gateway", through)):
        print(f"{name:<10}{result.rps:>12,.0f}{result.p50_ms:>10.2f}{result.p99_ms:>10.2f}{result.errors:>8}")
    ok = ratio >= TARGET_RATIO and added <= TARGET_ADDED_P50_MS and direct.errors == through.errors == 0
    print(f"throughput through the gateway: {ratio:.0%} of direct (target >= {TARGET_RATIO:.0%})")
    print(f"p50 added by the gateway: {added:.2f} ms (target <= {TARGET_ADDED_P50_MS:.1f} ms)")
    print("PASS" if ok else "FAIL")
    return ok


def start_servers(
    upstream_port: int, gateway_port: int, plan: dict[str, list[int]], env: dict[str, str], workdir: Path
) -> list[subprocess.Popen]:
    upstream = [sys.executable, __file__, "--serve-upstream", str(upstream_port)]
    gateway = [sys.executable, "-c", "from gateway.cli import app; app()", "serve", "--port", str(gateway_port)]
    return [
        start(pinned(upstream, plan["upstream"]), env, workdir / "upstream.log"),
        start(pinned(gateway, plan["gateway"]), env, workdir / "gateway.log"),
    ]


def bench(args: argparse.Namespace) -> bool:
    workdir = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
    upstream_port, gateway_port = free_port(), free_port()
    app_id = register_client(f"sqlite:///{workdir / 'gateway.db'}")
    plan = cores()
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": f"sqlite:///{workdir / 'gateway.db'}",
        "GATEWAY_UPSTREAMS": f"readings=http://127.0.0.1:{upstream_port}",
        "LOG_LEVEL": "WARNING",
    }
    processes = start_servers(upstream_port, gateway_port, plan, env, workdir)
    try:
        direct_url, gateway_url = f"http://127.0.0.1:{upstream_port}{PATH}", f"http://127.0.0.1:{gateway_port}{PATH}"
        headers = {"X-App-Id": app_id}
        wait_until_up(direct_url, processes[0], {})
        wait_until_up(gateway_url, processes[1], headers)
        print(
            f"load: {'wrk' if shutil.which('wrk') else 'aiohttp'}, {args.connections} connections, "
            f"{args.duration} s per path, {args.rounds} round(s); cores {plan}"
        )
        options = {"duration": args.duration, "connections": args.connections, "cpus": plan["wrk"]}
        load(direct_url, {}, **{**options, "duration": 2})  # warm both paths up
        load(gateway_url, headers, **{**options, "duration": 2})
        direct, through = [], []
        for number in range(1, args.rounds + 1):
            direct.append(load(direct_url, {}, **options))
            through.append(load(gateway_url, headers, **options))
            print(
                f"round {number}: direct {direct[-1].rps:,.0f}/s p50 {direct[-1].p50_ms:.2f} ms, "
                f"gateway {through[-1].rps:,.0f}/s p50 {through[-1].p50_ms:.2f} ms"
            )
        return report(median_result(direct), median_result(through))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per path and round")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of both paths; the median counts")
    parser.add_argument("--serve-upstream", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_upstream:
        serve_upstream(args.serve_upstream)
        return
    sys.exit(0 if bench(args) else 1)


if __name__ == "__main__":
    main()
