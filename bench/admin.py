"""The gateway's admin API registering clients, beside the bare database work it stands on.

    python bench/admin.py [--clients 3000] [--callers 16] [--rounds 3] [--database-url URL]

On the PostgreSQL server (TEST_DATABASE_URL, else the local one), in a throwaway database migrated
with the gateway's migrations, as in distributed mode:
1. the baseline: `--callers` threads, each with its own psycopg connection, do what one
   registration stores: INSERT a client row and its outbox row, COMMIT; registrations/s;
2. `gateway serve` in its own process; `--callers` concurrent aiohttp callers POST /admin/clients
   with fresh codes until `--clients` are registered: clients/s, p50, p90 and p99;
3. one caller alone (a tenth as many): p50 and p90.
Each round uses fresh tables; the median round counts. Prints the figures, the API's rate as a share
of the baseline, and PASS/FAIL against the target: >= 500 clients/s at 16 concurrent callers,
every answer 201. The database is dropped; only loopback traffic.

Measured on a two-core machine shared with other work (load average 4-6), PostgreSQL 15, 3 rounds:
- now: 658 and 694 clients/s in two runs (29-31 % of the bare 2,240-2,300/s); p50 23-24 ms, p99
  47-49 ms; one caller alone p50 3.4-4.3 ms, p90 7 ms. Every answer 201.
- later, one round beside a test run on the other core: 862 clients/s (38 % of the bare 2,240/s),
  p50 18 ms, p99 32 ms; one caller alone p50 2.9 ms.
- before, in the same conditions: 233 clients/s (13 % of the bare 1,850/s), p50 63 ms, p99 164 ms;
  the issue's own figure was 66/s on a quieter machine.
Where the time went (a sampling of the gateway's threads, yappi and timing logs per batch):
1. Thread hops. A plain `def` route with plain `def` dependencies (the state, the admin token) ran
   four hops to the thread pool per request, plus one back to the event loop to clear the client
   cache. Every hop waits for a thread and for the GIL, held meanwhile by the loop parsing other
   requests. The routes and dependencies are `async` now, with the database work in one hop.
2. One transaction, outbox row and commit per client: at least five round trips each (pool ping,
   a SELECT for the code, two INSERTs, COMMIT), every one of them giving the GIL up and waiting to
   get it back. Registrations arriving together are now written together (gateway/registrations.py:
   a group commit, two batches in flight): one INSERT ... ON CONFLICT DO NOTHING RETURNING for the
   clients (a code taken is a 409 for that caller only), one multi-row INSERT for their events.
3. Statements built with `values(rows)` were compiled again for every batch, and psycopg parsed
   each again (too long for its cache): a batch of 16 took 24 ms before its commit. As executemany
   of one compiled statement (SQLAlchemy sends them as one multi-row INSERT) it takes 5 ms, commit
   included, alone on the machine (2,900 clients/s in one thread).
4. The client cache was cleared on every registration, sending every client's next proxied request
   to the database; a new app id cannot be in the cache, so registering no longer clears it.
Not the time: hashing (one SHA-256 of 32 random bytes), fsync (the bare baseline shares it: its
commits group at 16 connections), relay wakeups (the relay runs in `gateway worker`, not here).
What remains is the gateway's CPU per request (0.7-1 ms: HTTP, FastAPI, pydantic) on a machine whose
two cores also run PostgreSQL and the load generator.
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and its own name would shadow the
# `gateway` package it measures.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

import psycopg  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from gateway.migrate import migrate  # noqa: E402
from quintet_shared.testing.servers import fresh_postgres_database  # noqa: E402

LOCAL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TARGET_RATE = 500
ADMIN_TOKEN = "bench-admin-token"


@dataclass
class Load:
    rate: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    errors: int


def empty_tables(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE client, outbox_message"))
    engine.dispose()


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def bare_inserts(url: str, *, total: int, callers: int) -> float:
    """Registrations/s with nothing but the database: a client row, its outbox row, a commit."""
    per_caller = total // callers
    body = json.dumps({"id": "x", "type": "gateway.client.registered", "data": {}})
    start = threading.Barrier(callers + 1)

    def caller(number: int) -> None:
        with psycopg.connect(libpq(url)) as connection:
            start.wait()
            for index in range(per_caller):
                code, now = f"bare-{number}-{index}", datetime.now(UTC)
                connection.execute(
                    "INSERT INTO client (code, name, services, rate_limit_per_minute, active, app_id_hash,"
                    " created_at, updated_at) VALUES (%s, %s, %s, 600, true, %s, %s, %s)",
                    (code, "Bench", '["readings"]', uuid.uuid4().hex + uuid.uuid4().hex, now, now),
                )
                connection.execute(
                    "INSERT INTO outbox_message (message_id, type, body, created_at, attempts)"
                    " VALUES (%s, 'gateway.client.registered', %s, %s, 0)",
                    (uuid.uuid4(), body, now),
                )
                connection.commit()

    threads = [threading.Thread(target=caller, args=(number,)) for number in range(callers)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return per_caller * callers / (time.perf_counter() - started)


async def register_clients(base: str, *, total: int, callers: int, prefix: str) -> Load:
    import aiohttp

    latencies: list[float] = []
    errors = 0
    codes = iter(range(total))
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    connector = aiohttp.TCPConnector(limit=callers)
    async with aiohttp.ClientSession(base, connector=connector, headers=headers) as session:

        async def caller() -> None:
            nonlocal errors
            for index in codes:
                body = {"code": f"{prefix}-{index}", "name": "Bench client", "services": ["readings"]}
                sent = time.perf_counter()
                async with session.post("/admin/clients", json=body) as response:
                    await response.read()
                    errors += response.status != 201
                latencies.append(time.perf_counter() - sent)

        started = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(callers)))
        elapsed = time.perf_counter() - started
    latencies.sort()

    def quantile(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    return Load(len(latencies) / elapsed, quantile(0.50), quantile(0.90), quantile(0.99), errors)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gateway(url: str, port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": url,
        "GATEWAY_ADMIN_TOKEN": ADMIN_TOKEN,
        "GATEWAY_UPSTREAMS": "readings=http://127.0.0.1:9",  # never called here
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-c", "from gateway.cli import app; app()", "serve", "--port", str(port)]
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_until_up(base: str, process: subprocess.Popen) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the gateway exited early (code {process.returncode})")
        try:
            if httpx.get(f"{base}/admin/clients", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).is_success:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("the gateway did not come up")


@dataclass
class Round:
    bare: float
    api: Load
    alone: Load


def measure_round(args: argparse.Namespace, url: str, base: str, number: int) -> Round:
    empty_tables(url)
    bare = bare_inserts(url, total=args.clients, callers=args.callers)
    empty_tables(url)
    api = asyncio.run(register_clients(base, total=args.clients, callers=args.callers, prefix=f"r{number}"))
    alone = asyncio.run(register_clients(base, total=max(args.clients // 10, 50), callers=1, prefix=f"a{number}"))
    print(
        f"round {number}: bare INSERT+COMMIT {bare:,.0f}/s; admin API {api.rate:,.0f} clients/s "
        f"(p50 {api.p50_ms:.1f} ms, p90 {api.p90_ms:.1f} ms, p99 {api.p99_ms:.1f} ms, {api.errors} errors); "
        f"one caller p50 {alone.p50_ms:.1f} ms, p90 {alone.p90_ms:.1f} ms"
    )
    return Round(bare, api, alone)


def report(args: argparse.Namespace, rounds: list[Round]) -> bool:
    middle = sorted(rounds, key=lambda r: r.api.rate)[len(rounds) // 2]
    bare = statistics.median(r.bare for r in rounds)
    errors = sum(r.api.errors + r.alone.errors for r in rounds)
    print(f"median of {len(rounds)} rounds, {args.callers} callers:")
    print(f"bare INSERT+COMMIT: {bare:,.0f} registrations/s (psycopg, a connection per caller)")
    print(
        f"admin API:          {middle.api.rate:,.0f} clients/s, {middle.api.rate / bare:.0%} of the bare rate; "
        f"p50 {middle.api.p50_ms:.1f} ms, p90 {middle.api.p90_ms:.1f} ms, p99 {middle.api.p99_ms:.1f} ms"
    )
    print(f"one caller alone:   p50 {middle.alone.p50_ms:.1f} ms, p90 {middle.alone.p90_ms:.1f} ms")
    ok = middle.api.rate >= TARGET_RATE and errors == 0
    verdict = "PASS" if ok else "FAIL"
    print(f"{verdict} {middle.api.rate:,.0f} clients/s at {args.callers} callers (>= {TARGET_RATE}), {errors} errors")
    return ok


def measure_rounds(args: argparse.Namespace, url: str) -> list[Round]:
    workdir = Path(tempfile.mkdtemp(prefix="admin-bench-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    gateway = start_gateway(url, port, workdir / "gateway.log")
    try:
        wait_until_up(base, gateway)
        asyncio.run(register_clients(base, total=200, callers=args.callers, prefix="warm"))
        return [measure_round(args, url, base, number) for number in range(1, args.rounds + 1)]
    finally:
        gateway.terminate()
        gateway.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=3000, help="registrations per round at full concurrency")
    parser.add_argument("--callers", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="the median round counts")
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL", LOCAL))
    args = parser.parse_args()
    with fresh_postgres_database(args.database_url, prefix="gateway_bench") as url:
        migrate(url)
        rounds = measure_rounds(args, url)
    sys.exit(0 if report(args, rounds) else 1)


if __name__ == "__main__":
    main()
