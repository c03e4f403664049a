"""A monitoring round over many products against the sandbox's marketplace, beside a bare client.

    python bench/marketplace.py [--products 100000] [--concurrency 64] [--offers 3]

On a fresh PostgreSQL database (TEST_DATABASE_URL's server, default the local one), with the sandbox
(`sandbox serve`) as a process of its own, as every run mode runs it:
1. seeds one client: a store and `--products` repriced products (set-based, INSERT ... SELECT from
   generate_series), each with a marketplace product id; the sandbox is given `--offers` competitor
   offers per product (bulk PUT, 10,000 products a request), a third of the products undercut, a
   third already cheapest with a competitor above, a third with competitors below their min;
2. the baseline: a bare aiohttp client (one session, the same connection limit) asks the sandbox for
   page 0 of every product's offers with `--concurrency` requests in flight, and reads the JSON:
   what the marketplace side alone allows on this machine;
3. the round: `marketplace.monitoring.run_round` with the same concurrency, the rate limit lifted
   above what the sandbox can serve (`--rate`), everything it does for real: the offers client
   (paging, retries, the rate limiter), the offers stored (`offer_fetch`, `observed_offer`), the
   repricing rules, the price changes with their history, outbox events and notifications, in
   batches of 500 landed by a thread while fetching goes on;
4. prints products/s of both, their ratio, the round's counts, and the rows it wrote.
Target: the round >= 1,000 products/s.

The database is dropped and the sandbox stopped at the end.

Each phase also prints the CPU seconds of this process (its threads included), the sandbox and
PostgreSQL: on a machine others share, wall time is what they leave us, CPU per product is the cost.

Figures (2 shared cores, PostgreSQL 15, load 4-6 from other work), 100,000 products, 64 in flight:
- bare client 80.6 s = 1,241 products/s (CPU: client 11.2 s, sandbox 26.4 s);
- round 151.0 s = 662 products/s, 0.53 of the bare client: target NOT met. CPU: this process 62.3 s
  (0.62 ms a product), sandbox 27.1 s (0.27 ms), PostgreSQL 19.9 s (0.20 ms); 100,000 changes, each
  with its fetch, 3 observed offers, history row, product update and outbox event (800,000 rows).
  At 10,000 products on a quieter minute: bare 2,407/s, round 866/s.
Where the time goes, and what was decided:
- the round's own process is the bound: about 0.27 ms a product is the HTTP client (as bare), the
  rest the writer thread (one transaction per 500 results: observed rows, the rules, history, the
  outbox's envelopes, notifications), and the two share one GIL. Writing plain rows with
  executemany instead of ORM objects, and notifying 20 changes a round one by one and the rest in a
  digest, took the writer from about 2 ms to 0.67 ms a product (measured alone on PostgreSQL);
  two writer threads were tried and measured slower (709 against 866 products/s: the GIL);
- the sandbox was the bound before its offers were kept in their answer's shape (a pydantic model
  per offer per answer and a second validation of the answer cost 0.9 ms a request; now 0.27 ms);
- a first version appended a fetch result to the batch it had seen before its await and lost results
  once another fetcher had queued that batch: the counts now add up to the products monitored;
- next: PostgreSQL's COPY for the observed offers and history, and a writer process of its own (off
  the fetching loop's GIL), are where the remaining factor lies.
"""

import argparse
import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, and this very file would shadow the
# `marketplace` package it measures.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

import aiohttp  # noqa: E402
import httpx  # noqa: E402
import psutil  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from marketplace.component import DEFINITION  # noqa: E402
from marketplace.config import Settings  # noqa: E402
from marketplace.models import ObservedOffer, OfferFetch, PriceChange  # noqa: E402
from marketplace.monitoring import run_round  # noqa: E402
from quintet_shared.clock import system_clock  # noqa: E402
from quintet_shared.db import make_engine  # noqa: E402
from quintet_shared.migrations import upgrade  # noqa: E402
from quintet_shared.tables import outbox_message  # noqa: E402
from quintet_shared.testing.servers import fresh_postgres_database  # noqa: E402

CLIENT = "bench"
CITY = "750000000"
OWN = "M-BENCH"
PUT_CHUNK = 10_000
DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--offers", type=int, default=3, help="competitor offers per product")
    parser.add_argument("--rate", type=float, default=100_000.0, help="the round's rate limit (requests/s)")
    args = parser.parse_args()
    admin_url = os.environ.get("TEST_DATABASE_URL", DEFAULT_ADMIN_URL)
    with fresh_postgres_database(admin_url, prefix="bench_market") as url, sandbox() as (market, market_pid):
        upgrade(DEFINITION.migrations, url)
        engine = make_engine(url, pool_size=4)
        try:
            asyncio.run(measure(engine, url, market, market_pid, args))
        finally:
            engine.dispose()


class sandbox:
    """`sandbox serve` on a free port, stopped on exit."""

    def __enter__(self) -> tuple[str, int]:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.log = tempfile.NamedTemporaryFile(prefix="bench-sandbox-", suffix=".log", delete=False)
        env = {**os.environ, "SANDBOX_MARKETPLACE_FEED_SECONDS": "3600", "LOG_LEVEL": "WARNING"}
        script = Path(sys.executable).parent / "sandbox"
        self.process = subprocess.Popen(
            [script, "serve", "--port", str(port)], env=env, stdout=self.log, stderr=self.log
        )
        url = f"http://127.0.0.1:{port}/sandbox/marketplace"
        deadline = time.monotonic() + 120  # imports alone take seconds on a busy machine
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(f"{url}/stats").status_code == 200:
                    return url, self.process.pid
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"the sandbox did not start; its log: {self.log.name}")

    def __exit__(self, *_exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class CpuMeter:
    """CPU seconds used since the last lap by this process (its threads included), the sandbox and
    PostgreSQL (every server process): on a shared machine, time is what others leave us, while CPU
    per product is what the work costs."""

    def __init__(self, sandbox_pid: int) -> None:
        self.me = psutil.Process()
        self.sandbox = psutil.Process(sandbox_pid)
        self.last = self._now()

    def _now(self) -> tuple[float, float, float]:
        def used(process: psutil.Process) -> float:
            times = process.cpu_times()
            return times.user + times.system

        postgres = 0.0
        for process in psutil.process_iter(["name"]):
            if (process.info["name"] or "").startswith("postgres"):
                with contextlib.suppress(psutil.Error):
                    postgres += used(process)
        return used(self.me), used(self.sandbox), postgres

    def lap(self) -> str:
        now = self._now()
        mine, sandbox, postgres = (b - a for a, b in zip(self.last, now, strict=True))
        self.last = now
        return f"CPU s: this process {mine:.1f}, sandbox {sandbox:.1f}, PostgreSQL {postgres:.1f}"


async def measure(engine: Engine, url: str, market: str, market_pid: int, args: argparse.Namespace) -> None:
    started = time.perf_counter()
    seed_database(engine, args.products)
    seeded = time.perf_counter()
    await seed_offers(market, args.products, args.offers)
    offered = time.perf_counter()
    print(f"seeded {args.products:,} products in {seeded - started:.1f} s, their offers in {offered - seeded:.1f} s")

    cpu = CpuMeter(market_pid)
    bare = await bare_fetch(market, args.products, args.concurrency)
    bare_cpu = cpu.lap()
    print(
        f"bare client:  {args.products:,} products in {bare:.2f} s = {args.products / bare:,.0f} products/s; {bare_cpu}"
    )

    settings = Settings(
        database_url=url,
        offers_url=market,
        offers_concurrency=args.concurrency,
        offers_rate_per_second=args.rate,
        telegram_url="http://127.0.0.1:9/unused",
    )
    t0 = time.perf_counter()
    summary = await run_round(engine, settings, client=CLIENT, clock=system_clock)
    took = time.perf_counter() - t0
    round_cpu = cpu.lap()
    rate = summary.monitored / took
    print(f"round:        {summary.monitored:,} products in {took:.2f} s = {rate:,.0f} products/s; {round_cpu}")
    verdict = "met" if rate >= 1000 else "NOT met"
    print(f"ratio round / bare: {bare / took:.2f}   (target: the round >= 1,000 products/s: {verdict})")
    for line in summary.lines():
        print(f"  {line}")
    with engine.connect() as conn:
        counts = {
            "offer_fetch": conn.execute(select(func.count()).select_from(OfferFetch)).scalar(),
            "observed_offer": conn.execute(select(func.count()).select_from(ObservedOffer)).scalar(),
            "price_change": conn.execute(select(func.count()).select_from(PriceChange)).scalar(),
            "outbox_message": conn.execute(select(func.count()).select_from(outbox_message)).scalar(),
        }
    print("  rows written: " + ", ".join(f"{name} {count:,}" for name, count in counts.items()))


def seed_database(engine: Engine, products: int) -> None:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO store (client, name, merchant_id, city_id, feed_token, created_at, updated_at)"
                " VALUES (:client, 'Bench store', :own, :city, 'bench-feed-token-0000000000', :now, :now)"
            ),
            {"client": CLIENT, "own": OWN, "city": CITY, "now": now},
        )
        conn.execute(
            text(
                "INSERT INTO product (client, sku, name, category, marketplace_product_id, price_cents,"
                " min_price_cents, max_price_cents, step_cents, repricing, created_at, updated_at)"
                " SELECT :client, 'SKU-' || n, 'Product ' || n, '', 'P' || n, 100000, 80000, 120000, 1000, true,"
                " :now, :now FROM generate_series(1, :products) AS n"
            ),
            {"client": CLIENT, "now": now, "products": products},
        )


def competitor_offers(n: int, count: int) -> list[dict[str, object]]:
    """Whole tenge; our price is 1,000 (min 800, max 1,200)."""
    base = (950, 1100, 700)[n % 3]  # undercut, already cheapest, below our min
    return [{"merchantId": f"R{k}", "merchantName": f"Rival {k}", "price": base + 10 * k} for k in range(count)]


async def seed_offers(market: str, products: int, count: int) -> None:
    async with httpx.AsyncClient(timeout=120) as http:
        for start in range(1, products + 1, PUT_CHUNK):
            chunk = {f"P{n}": competitor_offers(n, count) for n in range(start, min(start + PUT_CHUNK, products + 1))}
            response = await http.put(f"{market}/products/offers", json={"products": chunk})
            response.raise_for_status()


async def bare_fetch(market: str, products: int, concurrency: int) -> float:
    """Seconds for a bare aiohttp client to read page 0 of every product's offers."""
    ids = iter(range(1, products + 1))
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker() -> None:
            for n in ids:
                body = {"cityId": CITY, "id": f"P{n}", "limit": 50, "page": 0}
                async with http.post(f"{market}/yml/offer-view/offers/P{n}", json=body) as response:
                    assert response.status == 200
                    await response.json()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started


if __name__ == "__main__":
    main()
