"""A flash promo's notifications: time from `starts_at` until the push provider has every message.

    python bench/promotions_notify.py [--profiles 1000000] [--rounds 3] [--radius-km 6.3]

On a fresh PostgreSQL database (TEST_DATABASE_URL's server, default the local one) and RabbitMQ
(TEST_AMQP_URL) under its own bus namespace, with the sandbox (`sandbox serve`) and one promotions
worker (`promotions worker`) as processes of their own, as the distributed mode runs them:
1. seeds one client: 100 stores on a 10 x 10 grid 10 km apart, and `--profiles` profiles spread
   evenly over the grid's 100 km x 100 km, set-based (INSERT ... SELECT from generate_series), 80 %
   in segment "New users" and 20 % in "Frequent buyers";
2. each round creates a promo (the promotions use case, as POST /promotions/promos does) at one
   store, for "New users" within `--radius-km` (6.3 km: about 10,000 users of 1,000,000), starting
   two seconds later; the stores of the rounds are 30 km or more apart, so no round's users were
   notified that day by another. The users it must reach are counted beforehand in Python
   (eligibility.eligible_profiles: bounding box, then geo.distance_km), and the round ends when the
   sandbox's push stats have accepted that many messages (polled every 10 ms);
3. prints, per round and as the median: starts_at → every message accepted (target <= 10 s), and its
   parts from the job row: starts_at → the run's job started (the scheduler's tick, the outbox relay
   and RabbitMQ), and the job's own time (record + send); beside it the messages per second and the
   rows the run recorded (which must equal the count made in Python).
Everything is stopped, and the database and the broker's entities dropped, at the end.

`time_notification_run` is the measuring part alone, for a bench that runs the platform itself.
"""

import argparse
import asyncio
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

# Run as a script, this file's folder comes first on sys.path, and bench/promotions.py would shadow
# the `promotions` package.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

import httpx  # noqa: E402
from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session  # noqa: E402

from promotions import promos  # noqa: E402
from promotions.component import DEFINITION  # noqa: E402
from promotions.eligibility import eligible_profiles  # noqa: E402
from promotions.models import NotifyPlan, Product, Segment, Store  # noqa: E402
from promotions.notify_schedule import PROMO_RUN_JOB  # noqa: E402
from promotions.push import PushClient, PushMessage  # noqa: E402
from promotions.schemas_promos import PromoCreate  # noqa: E402
from quintet_platform import distributed  # noqa: E402
from quintet_shared.db import make_engine, session_scope  # noqa: E402
from quintet_shared.geo import destination  # noqa: E402
from quintet_shared.tables import job  # noqa: E402
from quintet_shared.testing.ports import free_port_pair  # noqa: E402


def _sibling(name: str) -> ModuleType:
    """Another bench file as a module (by its path: this folder is not on sys.path, see above)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", _HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


processes = _sibling("bench_processes")

POSTGRES = os.environ.get("TEST_DATABASE_URL", distributed.DEFAULT_POSTGRES_URL)
AMQP = os.environ.get("TEST_AMQP_URL", distributed.DEFAULT_AMQP_URL)
CLIENT = "bench"
TOKEN = "bench-push-token"
ORIGIN = (43.0, 76.5)  # the grid's south-west corner, near Almaty
GRID, SPACING_KM = 10, 10.0
ROUND_STORES = [(2, 2), (2, 7), (7, 2), (7, 7), (5, 5)]  # 30 km or more apart
TARGET_SECONDS = 10.0
BIN = Path(sys.executable).parent


@dataclass
class RoundFigures:
    eligible: int
    recorded: int
    total: float  # starts_at → every message accepted by the provider
    to_job: float  # starts_at → the run's job started
    job: float  # the job's own time: record and send
    record: float  # the INSERT ... SELECT of the run
    send: float  # claims, pushes and their outcomes

    @property
    def rate(self) -> float:
        return self.eligible / self.total if self.total else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3, choices=range(1, len(ROUND_STORES) + 1))
    parser.add_argument("--radius-km", type=float, default=6.3)
    args = parser.parse_args()
    run = uuid.uuid4().hex[:8]
    name, url = fresh_database(POSTGRES, run)
    namespace = f"bench-notify-{run}"
    with ExitStack() as stack, tempfile.TemporaryDirectory() as logs:
        stack.callback(processes.drop_database, POSTGRES, name)
        stack.callback(lambda: asyncio.run(drop_broker_entities(namespace)))
        engine = make_engine(url)
        stack.callback(engine.dispose)
        seconds = seed(engine, args.profiles)
        print(
            f"seeded {args.profiles:,} profiles around {GRID * GRID} stores in {seconds:.1f} s "
            f"({args.profiles / seconds:,.0f} rows/s, set-based)"
        )
        sandbox_port = free_port_pair(100)
        sandbox = start(stack, [str(BIN / "sandbox"), "serve", "--port", str(sandbox_port)], Path(logs) / "sandbox.log")
        push_url = f"http://127.0.0.1:{sandbox_port}/sandbox/push"
        processes.wait_ready(f"http://127.0.0.1:{sandbox_port}/sandbox/providers", sandbox)
        env = {
            "PROMOTIONS_DATABASE_URL": url,
            "AMQP_URL": AMQP,
            "BUS_NAMESPACE": namespace,
            "PROMOTIONS_PUSH_URL": push_url,
            "PROMOTIONS_PUSH_TOKEN": TOKEN,
        }
        health = free_port_pair(0)
        worker_cmd = [str(BIN / "promotions"), "worker", "--health-port", str(health)]
        worker = start(stack, worker_cmd, Path(logs) / "worker.log", env)
        processes.wait_ready(f"http://127.0.0.1:{health}/health/ready", worker)
        rounds = [
            time_notification_run(engine, push_url, store=ROUND_STORES[number], radius_km=args.radius_km)
            for number in range(args.rounds)
        ]
        bare = statistics.median(bare_push(push_url, rounds[0].eligible) for _ in range(3))
        for number, figures in enumerate(rounds, 1):
            print(
                f"round {number}: {figures.eligible:,} users notified in {figures.total:.2f} s from starts_at "
                f"({figures.rate:,.0f} messages/s): {figures.to_job:.2f} s until the run's job started, "
                f"{figures.job:.2f} s in the job (recording {figures.record:.2f} s, sending {figures.send:.2f} s); "
                f"{figures.recorded:,} rows recorded"
            )
        report(rounds, bare)


def bare_push(push_url: str, count: int) -> float:
    """The baseline: `count` messages of the same shape pushed by the push client alone (batches of
    500, 4 in flight), with no database: the provider's and the client's share of a run."""
    httpx.delete(f"{push_url}/received").raise_for_status()
    messages = [
        PushMessage(
            user=f"user-{n}",
            title="Flash promo: Headphones 2-2 at Store 2-2",
            body="500.00 KZT instead of 1,000.00 KZT, until 2026-12-06 14:00 (Asia/Almaty)",
            data={"promo_id": 1, "product_id": 1, "store_id": 1, "promo_price_cents": 50_000, "currency": "KZT"},
            key=f"bare-{uuid.uuid4().hex}",
        )
        for n in range(count)
    ]

    async def send() -> float:
        async with PushClient(push_url, TOKEN) as client:
            started = time.perf_counter()
            report = await client.send(messages, client=CLIENT)
            assert not report.failed
            return time.perf_counter() - started

    return asyncio.run(send())


def report(rounds: list[RoundFigures], bare: float) -> None:
    total = statistics.median(figures.total for figures in rounds)
    to_job = statistics.median(figures.to_job for figures in rounds)
    job_time = statistics.median(figures.job for figures in rounds)
    eligible = statistics.median(figures.eligible for figures in rounds)
    send = statistics.median(figures.send for figures in rounds)
    exact = all(figures.recorded == figures.eligible for figures in rounds)
    print(
        f"median of {len(rounds)}: {eligible:,.0f} users, starts_at → all accepted {total:.2f} s "
        f"(target <= {TARGET_SECONDS:.0f} s: {'PASS' if total <= TARGET_SECONDS else 'FAIL'}); "
        f"until the job started {to_job:.2f} s, the job {job_time:.2f} s; "
        f"recorded = counted in Python: {'yes' if exact else 'NO'}"
    )
    print(
        f"baseline: the same number of messages pushed by the push client alone in {bare:.2f} s (median of 3); "
        f"the run's sending took {send / bare:.2f}x that, the whole run from starts_at {total / bare:.2f}x"
    )


def time_notification_run(
    engine: Engine, push_url: str, *, store: tuple[int, int], radius_km: float, lead: float = 2.0
) -> RoundFigures:
    """Create a promo at the grid's `store` starting `lead` seconds from now, and time it until the
    provider at `push_url` has accepted a message for every user it reaches."""
    httpx.delete(f"{push_url}/received").raise_for_status()
    with session_scope(engine) as session:
        store_id = session.execute(select(Store.id).where(Store.name == store_name(*store))).scalar_one()
        product_id = session.execute(select(Product.id).where(Product.store_id == store_id)).scalar_one()
        starts_at = datetime.now(UTC) + timedelta(seconds=lead)
        data = PromoCreate(
            product_id=product_id,
            promo_price_cents=50_000,
            starts_at=starts_at.isoformat(),
            ends_at=(starts_at + timedelta(hours=2)).isoformat(),
            segments=["New users"],
            radius_km=radius_km,
            units=100,
        )
        promo = promos.create_promo(session, client=CLIENT, data=data, now=datetime.now(UTC))
        promo_id = promo.id
        assert promo_id is not None
    with Session(engine) as session:
        eligible = sum(1 for _ in eligible_profiles(session, client=CLIENT, promo_id=promo_id))
    if datetime.now(UTC) > starts_at:
        print(f"(counting the users took longer than the {lead} s lead: the figure includes the excess)")
    deadline = time.monotonic() + lead + 120
    while httpx.get(f"{push_url}/stats").json()["accepted"] < eligible:
        if time.monotonic() > deadline:
            raise SystemExit(f"the provider did not get {eligible} messages within two minutes")
        time.sleep(0.01)
    total = time.time() - starts_at.timestamp()
    return _round_figures(engine, promo_id, starts_at, eligible, total)


def _round_figures(engine: Engine, promo_id: int, starts_at: datetime, eligible: int, total: float) -> RoundFigures:
    deadline = time.monotonic() + 30
    while True:  # the job records its end just after its last batch was answered
        with engine.connect() as conn:
            rows = conn.execute(select(job).where(job.c.kind == PROMO_RUN_JOB)).mappings().all()
            recorded = conn.execute(select(NotifyPlan.recorded).where(NotifyPlan.promo_id == promo_id)).scalar_one()
        run = [row for row in rows if row["payload"].get("promo_id") == promo_id]
        if (run and run[0]["finished_at"] is not None) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    started, finished = run[0]["started_at"], run[0]["finished_at"]
    to_job = (started - starts_at).total_seconds()
    result = run[0]["result"]
    job_time = (finished - started).total_seconds()
    return RoundFigures(eligible, recorded, total, to_job, job_time, result["record_seconds"], result["send_seconds"])


def store_name(row: int, column: int) -> str:
    return f"Store {row}-{column}"


def seed(engine: Engine, profiles: int) -> float:
    """The client's stores, products, segments and profiles; the seconds the profiles took."""
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        for row in range(GRID):
            for column in range(GRID):
                latitude, longitude = grid_point((row + 0.5) * SPACING_KM, (column + 0.5) * SPACING_KM)
                store = Store(
                    client=CLIENT,
                    name=store_name(row, column),
                    latitude=latitude,
                    longitude=longitude,
                    timezone="Asia/Almaty",
                    created_at=now,
                    updated_at=now,
                )
                session.add(store)
                session.flush()
                assert store.id is not None
                product = Product(
                    client=CLIENT,
                    store_id=store.id,
                    name=f"Headphones {row}-{column}",
                    regular_price_cents=100_000,
                    currency="KZT",
                    created_at=now,
                    updated_at=now,
                )
                session.add(product)
        for segment in ("New users", "Frequent buyers"):
            session.add(Segment(client=CLIENT, name=segment, created_at=now, updated_at=now))
    north, _ = grid_point(GRID * SPACING_KM, 0)
    _, east = grid_point(0, GRID * SPACING_KM)
    started = time.perf_counter()
    with engine.begin() as conn:
        segments = dict(conn.execute(text("SELECT name, id FROM segment WHERE client = :c"), {"c": CLIENT}).all())
        conn.execute(text("SELECT setseed(0.42)"))
        conn.execute(
            text(
                'INSERT INTO profile (client, "user", email, latitude, longitude, created_at, updated_at) '
                "SELECT :c, 'user-' || g, 'user-' || g || '@example.com', "
                ":lat0 + random() * (:lat1 - :lat0), :lon0 + random() * (:lon1 - :lon0), :now, :now "
                "FROM generate_series(1, :n) AS g"
            ),
            {"c": CLIENT, "lat0": ORIGIN[0], "lat1": north, "lon0": ORIGIN[1], "lon1": east, "now": now, "n": profiles},
        )
        conn.execute(
            text(
                "INSERT INTO profile_segment (profile_id, segment_id) "
                "SELECT id, CASE WHEN id % 5 = 0 THEN :frequent ELSE :new END FROM profile WHERE client = :c"
            ),
            {"c": CLIENT, "frequent": segments["Frequent buyers"], "new": segments["New users"]},
        )
    seconds = time.perf_counter() - started
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    return seconds


def grid_point(north_km: float, east_km: float) -> tuple[float, float]:
    latitude, _ = destination(*ORIGIN, 0, north_km)
    _, longitude = destination(latitude, ORIGIN[1], 90, east_km)
    return latitude, longitude


def start(
    stack: ExitStack, command: list[str], log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    return processes.start(
        stack, command, log, {**os.environ, "SANDBOX_PUSH_TOKEN": TOKEN, "LOG_LEVEL": "WARNING", **(env or {})}
    )


def fresh_database(admin_url: str, run: str) -> tuple[str, str]:
    name = f"promotions_bench_{run}"
    return name, processes.fresh_database(admin_url, name, DEFINITION.migrations)


async def drop_broker_entities(namespace: str) -> None:
    await processes.drop_broker_entities(AMQP, namespace, {"promotions.events", "promotions.jobs"})


if __name__ == "__main__":
    main()
