"""Flash promos in distributed mode: a million profiles imported, a promo's notifications, holds/s.

    python bench/promotions.py [--profiles 1000000] [--holds 10000] [--callers 64]

Starts the distributed platform (`make up`: a process per API and worker, the gateway, the sandbox,
PostgreSQL, RabbitMQ) on its own port base, database prefix and bus namespace, as bench/events.py
does (its helpers are reused), registers a client `bench` through the admin API, and through the
gateway creates its two segments and 100 stores on a 10 x 10 grid 10 km apart, each with a product.
Then, in one run:
1. Import. A generated CSV of `--profiles` profiles spread evenly over the grid's 100 km x 100 km
   (80 % "New users", 20 % "Frequent buyers"; promotions_notify.py seeds the same shape
   set-based) is uploaded through the gateway (POST /promotions/profiles/files) and its job polled
   (every 0.25 s) until it is done: seconds and rows/s from the POST to the job's end, with its
   parts (upload until 202, queued, the job itself). Before it, on the same empty tables, two
   baselines (bench/profiles_import.py's functions): the import's intake alone (its CSV parser
   thread and COPY into the staging table, rolled back) and the bare database (the same profiles
   and links by two plain INSERT ... SELECT from a temporary table, rolled back).
2. Notifications (bench/promotions_notify.py's `time_notification_run`): a promo for "New users"
   within `--radius-km` (6.3 km: about 10,000 users) of one store, starting 2 s after it is created;
   time from `starts_at` until the sandbox's push stats show a message for every user the promo
   reaches (counted beforehand in Python), target <= 10 s, with its parts (until the run's job
   started; recording; sending). Baseline: the same number of messages sent by the push client
   alone (median of 3).
3. Holds. Two identical promos at a store 70 km away (both segments, `--holds-radius-km` 7 km:
   about 15,000 users, 100,000 units, one per user), running since a minute ago. Their own
   notification runs are waited for first (printed, no target), so that they do not share the
   machine with the holds. Then `--holds` holds on the first promo through the gateway, by
   `--callers` concurrent callers (aiohttp, one connection each, every hold by a distinct eligible
   user in random order, each with its own Idempotency-Key as a careful client sends), target
   >= 500 holds/s; then the same on the second promo directly against the promotions API (the
   gateway's signed headers, quintet_shared.testing.gateway.signed_headers): the baseline of the
   gateway's share. Oversell check for each: 201 answers == hold rows == the promo's units_taken
   <= units, one row per user, and every answer counted by status and problem `code`. The client's
   own ceiling is measured beside it (the same callers on the service's GET /health/live), and its
   CPU time during each run, so that the client is shown not to be the bottleneck; the CPU each
   process spent during each run is printed (psutil: the promotions API, the gateway, PostgreSQL's
   whole server, this client), and what autovacuum was doing.
Prints each figure with its ratio to its baseline, PASS/FAIL lines, and a final JSON line. The
load average is printed before the run and before each part. Everything is stopped, and the
databases and broker entities dropped, at the end; each process gets a 4 GiB address-space limit.
`make bench` runs this script and not profiles_import.py nor promotions_notify.py, whose import and
notification run it measures (they stay, run by hand, for one part alone: the import's other stages,
or three notification rounds without the platform).

Design decisions:
- The import takes the path a client takes: the upload through the gateway, the job, the worker.
  The CLI (`promotions profiles import`) runs the same use case in its own process and skips the
  upload, the job and the worker, so it is not the figure a client gets.
- Its baselines run first, on the same empty tables, while the platform is idle: they are rolled
  back, so the import then starts from the same state.
- No ANALYZE after the import: the service does not run one, so the notification run and the holds
  get the plans a client gets (autoanalyze had not run on `profile` in any run below).
- One grid of profiles serves both promos: 6.3 km of "New users" is about 10,000 users, 7 km of
  both segments about 15,400; the two stores are 70 km apart, so neither promo reaches the other's
  users. The holds promos are created running (since a minute ago), so their notification runs
  start at once; the bench waits for them before the holds (the second promo's run records nothing:
  its users were notified that day by the first's).
- Holds go through aiohttp (a keep-alive connection per caller, about 0.6 ms of CPU a request
  here): one process drives 2,000-4,000 trivial requests/s at 64 callers, so at the rates below the
  client is not what limits them (it used 7-9 % of a core).
- Through the gateway first, then direct: the hold table then holds 10,000 more rows for the direct
  run, read by index only (promo and user, client and key), so the order does not favour either.

Figures (two cores shared with other engineers' work; PostgreSQL 15 with default settings, on the
same machine; load average before each run, and before the holds):
- 02:29 UTC, load 5.59 (3.58 before the holds): import 60.1 s (16,641 rows/s; the job 56.8 s,
  upload 3.1 s) beside parse + COPY 7.3 s (136,875 rows/s, 8.2x) and the bare INSERT ... SELECT
  55.0 s (1.09x); notifications: 10,031 users in 3.63 s from starts_at (0.72 s until the job
  started, recording 0.97 s, sending 1.91 s) beside the push client alone 0.61 s (sending 3.2x);
  holds 109/s through the gateway (p50 512 ms, p99 1,562 ms) and 115/s direct (p50 483 ms, p99
  1,461 ms): 95 %; no oversell in either. PASS, PASS, FAIL (holds).
- 02:39 UTC, load 1.95 (2.58): import 38.4 s (26,047 rows/s) beside 4.9 s (7.9x) and 37.0 s
  (1.04x); 10,031 users in 2.75 s (0.83 s to the job, recording 0.56 s, sending 1.33 s; push alone
  0.35 s); holds 115/s (p50 485 ms, p99 1,458 ms) and 112/s direct (p50 501 ms, p99 1,529 ms).
- 02:56 UTC, load 0.38, the machine quiet at the start (2.23 before the holds, 7.11 after the first
  holds run: other work began): import 31.0 s (32,278 rows/s) beside 3.2 s (308,738 rows/s, 9.6x)
  and 32.6 s (0.95x); 10,031 users in 1.97 s (0.40 s to the job, recording 0.52 s, sending 1.01 s;
  push alone 0.36 s); holds 119/s (p50 465 ms, p99 1,415 ms) and 147/s direct (p50 375 ms, p99
  1,175 ms): 81 %.
- The same with 50,000 profiles and 3,000 holds, load 1.74: 188/s through the gateway, 165/s
  direct; before the hold path was rewritten (services/promotions/src/promotions/holds.py), 500
  holds at load 6-7: 60 and 65/s.
The import is the database's own work (0.95-1.09x the bare inserts); the notification target holds
with room to spare. The holds target does not: 109-147 holds/s, a quarter of it.

Where the time of a hold goes:
- Before: nine statements per hold, each built anew as an ORM statement (lookups of the key, the
  promo, the profile, the store and the user's holds, the UPDATE, an INSERT, the user's holds
  again): 6.6-9.7 ms of CPU per hold in one thread, and `promotions serve` alone took 56-67
  holds/s at 64 callers, as many on 64 promos as on one: the process's CPU, not the promo's row
  lock, was the limit. Now three statements built once and the commit: 1.2-1.9 ms of CPU per hold
  in one thread, 132-170 holds/s from the service alone at 64 callers (load 5-9).
- The service is still what limits: during each holds run its one process used 66-73 % of a core
  (the rest of the machine going to PostgreSQL, 53-74 % of a core for the whole server, other work
  included, the workers and other engineers' tests), about 5-6 ms of CPU per hold. A sampling of
  its GIL at 64 callers: 24 % in the hold's SQL, 25 % in uvicorn, Starlette and FastAPI on the
  event loop (matching the route among the service's routes 5 %), 19 % handing work to the thread
  pool (five hops a request: the signature check, the session dependency in and out, the clock and
  the route), 3 % the request log, 3 % the answer's serialization. Making the signature check, the
  clock and the session dependency async (three hops fewer) gained 5-10 % in paired runs, within
  the noise: not kept. The gateway adds little: 81-114 % of the direct rate, and 6 % of a core.
- During the runs a dozen transactions wait on the promo row's lock (pg_stat_activity: UPDATE
  promo, Lock:transactionid, 0.1-0.9 s), the row being the point where the holds take turns; as
  the service alone was as fast on 64 promos as on one, the lock queue is where requests wait for a
  CPU-bound service, not a limit of its own.
- The budget: 500 holds/s on two cores leaves 4 ms of CPU per hold for every process together; a
  run spends about 13 (the service 5-6, PostgreSQL about 5 with other work on the server, the
  gateway 0.5, the client 0.6). One service process at 5 ms per hold tops out near 200 holds/s on
  a core of its own. The target needs several API processes on more cores (containers mode runs
  replicas; `promotions serve --workers 2` fails as it stands: uvicorn cannot pickle the kit's
  QuintetHttpProtocol for its worker processes) or far less Python per request.
"""

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

# Run as a script, this file's folder comes first on sys.path, and bench/gateway.py would shadow the
# `gateway` package the platform imports.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

import aiohttp  # noqa: E402
import httpx  # noqa: E402
import psutil  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session  # noqa: E402

from promotions.eligibility import eligible_profiles  # noqa: E402
from promotions.models import Hold, NotifyPlan, Promo  # noqa: E402
from promotions.notify_schedule import PROMO_RUN_JOB  # noqa: E402
from quintet_platform import distributed  # noqa: E402
from quintet_platform.components import SANDBOX  # noqa: E402
from quintet_shared.db import make_engine  # noqa: E402
from quintet_shared.tables import job  # noqa: E402
from quintet_shared.testing.gateway import signed_headers  # noqa: E402


def _sibling(name: str) -> ModuleType:
    """Another bench script as a module (by its file: this folder is not on sys.path, see above)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", _HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


events = _sibling("events")
notify = _sibling("promotions_notify")
importing = _sibling("profiles_import")

CLIENT = notify.CLIENT  # time_notification_run creates its promo for this client
SEGMENTS = ("New users", "Frequent buyers")
NOTIFY_STORE, HOLDS_STORE = (2, 2), (7, 7)  # 70 km apart: neither promo reaches the other's users
HOLD_UNITS = 100_000
POSTGRES_SERVER = "PostgreSQL (the whole server)"
TARGET_NOTIFY_S, TARGET_HOLDS_PER_S = notify.TARGET_SECONDS, 500.0


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


# --- setup through the gateway -------------------------------------------------------------------


def register(gateway: httpx.Client, admin_token: str) -> dict[str, str]:
    body = {"code": CLIENT, "name": "Bench", "services": ["promotions"], "rate_limit_per_minute": 1_000_000_000}
    answer = gateway.post("/admin/clients", headers={"Authorization": f"Bearer {admin_token}"}, json=body)
    answer.raise_for_status()
    return {"X-App-Id": answer.json()["app_id"]}


def created(gateway: httpx.Client, app: dict[str, str], target: str, body: dict[str, Any]) -> int:
    answer = gateway.post(target, headers=app, json=body)
    if answer.status_code != 201:
        raise SystemExit(f"POST {target}: {answer.status_code} {answer.text}")
    return int(answer.json()["id"])


def shop(gateway: httpx.Client, app: dict[str, str]) -> dict[tuple[int, int], int]:
    """The segments, and the grid's stores each with a product; the product ids by grid cell."""
    for name in SEGMENTS:
        created(gateway, app, "/promotions/segments", {"name": name})
    products = {}
    for row in range(notify.GRID):
        for column in range(notify.GRID):
            latitude, longitude = notify.grid_point((row + 0.5) * notify.SPACING_KM, (column + 0.5) * notify.SPACING_KM)
            store = {
                "name": notify.store_name(row, column),
                "latitude": latitude,
                "longitude": longitude,
                "timezone": "Asia/Almaty",
            }
            store_id = created(gateway, app, "/promotions/stores", store)
            product = {
                "store_id": store_id,
                "name": f"Headphones {row}-{column}",
                "regular_price_cents": 100_000,
                "currency": "KZT",
            }
            products[row, column] = created(gateway, app, "/promotions/products", product)
    return products


def write_profiles(path: Path, count: int) -> None:
    """Profiles spread evenly over the grid, as promotions_notify.seed makes them in SQL."""
    north, _ = notify.grid_point(notify.GRID * notify.SPACING_KM, 0)
    _, east = notify.grid_point(0, notify.GRID * notify.SPACING_KM)
    (south, west), rng = notify.ORIGIN, random.Random(42)
    with path.open("w") as out:
        out.write("user,email,latitude,longitude,segments\n")
        for n in range(1, count + 1):
            latitude, longitude = rng.uniform(south, north), rng.uniform(west, east)
            segment = SEGMENTS[1] if n % 5 == 0 else SEGMENTS[0]
            out.write(f"user-{n},user-{n}@example.com,{latitude:.6f},{longitude:.6f},{segment}\n")


# --- 1. the import -------------------------------------------------------------------------------


@dataclass
class Imported:
    total: float  # the POST until the job was seen finished
    upload: float  # the POST until its 202
    queued: float  # the job's creation until it started
    job: float  # the job's own time
    result: dict[str, Any]


def import_through_gateway(gateway: httpx.Client, app: dict[str, str], path: Path) -> Imported:
    started = time.monotonic()
    with path.open("rb") as stream:
        files = {"file": ("profiles.csv", stream, "text/csv")}
        answer = gateway.post("/promotions/profiles/files", headers=app, files=files, timeout=300)
    if answer.status_code != 202:
        raise SystemExit(f"upload: {answer.status_code} {answer.text}")
    upload = time.monotonic() - started
    status_url = answer.json()["status_url"]
    while True:
        status = gateway.get(status_url, headers=app).json()
        if status["status"] in ("SUCCESS", "FAILURE", "EXPIRED"):
            break
        if time.monotonic() - started > 1800:
            raise SystemExit(f"the import did not finish within 30 minutes: {status}")
        time.sleep(0.25)
    total = time.monotonic() - started
    if status["status"] != "SUCCESS":
        raise SystemExit(f"the import job ended {status['status']}: {status['errors'][:5]}")
    created_at, job_started, finished = (
        datetime.fromisoformat(status[name]) for name in ("created_at", "started_at", "finished_at")
    )
    return Imported(
        total,
        upload,
        (job_started - created_at).total_seconds(),
        (finished - job_started).total_seconds(),
        status["result"],
    )


# --- 3. holds ------------------------------------------------------------------------------------


@dataclass
class Load:
    answers: Counter[tuple[int, str]]
    latencies: list[float]  # seconds, sorted
    seconds: float
    cpu: float  # this process's CPU seconds during the run

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def ms(self, q: float) -> float:
        return self.latencies[min(len(self.latencies) - 1, int(q * len(self.latencies)))] * 1000

    @property
    def cpu_per_request_us(self) -> float:
        return self.cpu / len(self.latencies) * 1e6


async def drive(base: str, path: str, method: str, bodies: list[Any], headers: Any, callers: int) -> Load:
    """`callers` concurrent callers, one keep-alive connection each, sending one request per item of
    `bodies` (a JSON body, or None); each answer counted by (status, problem code)."""
    answers: Counter[tuple[int, str]] = Counter()
    latencies: list[float] = []
    items = iter(enumerate(bodies))
    connector = aiohttp.TCPConnector(limit=callers)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as session:

        async def caller() -> None:
            for index, body in items:
                sent = time.perf_counter()
                try:
                    async with session.request(method, path, json=body, headers=headers(index)) as response:
                        content = await response.read()
                        code = ""
                        if response.status >= 400:
                            code = json.loads(content).get("code", "") if content.startswith(b"{") else ""
                        answers[response.status, code] += 1
                except (aiohttp.ClientError, TimeoutError) as exc:
                    answers[0, type(exc).__name__] += 1
                latencies.append(time.perf_counter() - sent)

        cpu = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(callers)))
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
    latencies.sort()
    return Load(answers, latencies, seconds, cpu)


class CpuMeter:
    """CPU seconds of named groups of processes over a stretch of time (psutil), as shares of a core.
    The postmaster counts with its children, live and ended: its backends, of which those the pool
    closes during a run end before it. (The platform's processes are this process's children: the
    client counts alone.)"""

    def __init__(self, groups: dict[str, int], *, with_children: str) -> None:
        self.groups = {name: psutil.Process(pid) for name, pid in groups.items()}
        self.with_children = with_children
        self.started = time.perf_counter()
        self.before = self._totals()

    def _totals(self) -> dict[str, float]:
        totals = {}
        for name, process in self.groups.items():
            total = 0.0
            members = [process, *process.children(recursive=True)] if name == self.with_children else [process]
            for member in members:
                with contextlib.suppress(psutil.Error):
                    times = member.cpu_times()
                    total += times.user + times.system
                    if name == self.with_children:
                        total += times.children_user + times.children_system
            totals[name] = total
        return totals

    def shares(self) -> str:
        elapsed, after = time.perf_counter() - self.started, self._totals()
        return ", ".join(f"{name} {(after[name] - self.before[name]) / elapsed:.0%}" for name in self.groups)


def platform_pids(plan: distributed.Plan, engine: Engine) -> dict[str, int]:
    """The processes a holds run goes through: the promotions API, the gateway, PostgreSQL (the
    whole server: other work on it counts too), and this client."""
    pids = {
        name: int((plan.state_dir / "pids" / f"{name}.pid").read_text()) for name in ("promotions-api", "gateway-api")
    }
    with engine.connect() as conn:
        backend = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    pids[POSTGRES_SERVER] = psutil.Process(backend).ppid()
    pids["this client"] = os.getpid()
    return pids


def hold_requests(base: str, promo_id: int, users: list[str], callers: int, headers: Any, *, key_prefix: str) -> Load:
    bodies = [{"promo_id": promo_id, "user": user} for user in users]

    def keyed(index: int) -> dict[str, str]:
        return {**headers(index), "Idempotency-Key": f"{key_prefix}-{index}"}

    return asyncio.run(drive(base, "/promotions/holds", "POST", bodies, keyed, callers))


def timed_holds(plan: distributed.Plan, engine: Engine, base: str, *args: Any, **kwargs: Any) -> tuple[Load, str]:
    """hold_requests, and the CPU each process spent meanwhile (measured from when the calls start)."""
    meter = CpuMeter(platform_pids(plan, engine), with_children=POSTGRES_SERVER)
    result = hold_requests(base, *args, **kwargs)
    shares = meter.shares()
    return result, f"{shares}; autovacuum at the end: {autovacuum(engine) or 'none'}"


def autovacuum(engine: Engine) -> str:
    """What PostgreSQL's autovacuum workers are doing now, on any database of the server."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT datname, query FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")
        ).all()
    return "; ".join(f"{row.datname}: {row.query.removeprefix('autovacuum: ')}" for row in rows)


def oversold(engine: Engine, promo_id: int, load: Load) -> tuple[bool, str]:
    """(no oversell, what was found): 201s == hold rows == units_taken <= units, one row per user."""
    with engine.connect() as conn:
        rows, users = conn.execute(
            select(func.count(), func.count(func.distinct(Hold.user))).where(Hold.promo_id == promo_id)
        ).one()
        units, taken = conn.execute(select(Promo.units, Promo.units_taken).where(Promo.id == promo_id)).one()
    ok201 = load.answers[201, ""]
    fine = ok201 == rows == users == taken <= units
    return fine, f"201 answers {ok201:,}, hold rows {rows:,} ({users:,} users), units_taken {taken:,} of {units:,}"


def wait_notification_runs(engine: Engine, promo_ids: list[int], within: float = 300) -> list[tuple[int, float]]:
    """Once every promo's notification job finished: (recorded, the job's seconds) for each."""
    deadline = time.monotonic() + within
    while True:
        with engine.connect() as conn:
            runs = {
                row.payload.get("promo_id"): row
                for row in conn.execute(select(job).where(job.c.kind == PROMO_RUN_JOB))
                if row.payload.get("promo_id") in promo_ids
            }
            plans = select(NotifyPlan.promo_id, NotifyPlan.recorded).where(NotifyPlan.promo_id.in_(promo_ids))
            recorded = {promo_id: count for promo_id, count in conn.execute(plans)}
        if len(runs) == len(promo_ids) and all(run.finished_at is not None for run in runs.values()):
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"the holds promos' notification runs did not finish within {within:.0f} s")
        time.sleep(0.25)
    return [
        (recorded[promo_id], (runs[promo_id].finished_at - runs[promo_id].started_at).total_seconds())
        for promo_id in promo_ids
    ]


# --- the run -------------------------------------------------------------------------------------


def bench(args: argparse.Namespace) -> bool:
    run = uuid.uuid4().hex[:6]
    secret, admin_token = secrets.token_hex(16), secrets.token_hex(16)
    # The platform's processes inherit these: a push token the push client of the baseline knows too.
    os.environ.update(
        GATEWAY_SECRET=secret,
        GATEWAY_ADMIN_TOKEN=admin_token,
        SANDBOX_PUSH_TOKEN=notify.TOKEN,
        PROMOTIONS_PUSH_TOKEN=notify.TOKEN,
    )
    plan = distributed.Plan(
        state_dir=Path(tempfile.mkdtemp(prefix="promotions-bench-")),
        port_base=events.free_port_base(),
        postgres_url=events.POSTGRES,
        database_prefix=f"bench_{run}",
        amqp_url=events.AMQP,
        bus_namespace=f"bench-{run}",
    )
    print(f"load average before: {load()}")
    figures: dict[str, Any] = {"load_before": round(os.getloadavg()[0], 2)}
    engines: list[Engine] = []
    checks: list[tuple[str, bool]] = []
    try:
        started = time.monotonic()
        distributed.up(plan, timeout=240)
        print(f"platform up in {time.monotonic() - started:.0f} s (port base {plan.port_base}, namespace {run})")
        engine = make_engine(plan.database_url("promotions"))
        engines.append(engine)
        gateway_url = f"http://127.0.0.1:{plan.port_base}"
        service_url = f"http://127.0.0.1:{plan.port('promotions')}"
        push_url = f"http://127.0.0.1:{plan.port(SANDBOX)}/sandbox/push"
        with httpx.Client(base_url=gateway_url, timeout=60) as gateway:
            app = register(gateway, admin_token)
            products = shop(gateway, app)

            # 1. the import ------------------------------------------------------------------
            folder = Path(tempfile.mkdtemp(prefix="promotions-bench-csv-"))
            try:
                csv = folder / "profiles.csv"
                write_profiles(csv, args.profiles)
                size_mb = csv.stat().st_size / 1e6
                print(f"\n1. import of {args.profiles:,} profiles ({size_mb:.0f} MB); load {load()}")
                intake = importing.timed(lambda: importing.parse_and_copy(engine, csv, client=CLIENT))
                bare = importing.bare_inserts(engine, csv, client=CLIENT)
                imported = import_through_gateway(gateway, app, csv)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            rows = args.profiles
            print(
                f"through the gateway (POST /promotions/profiles/files, job polled): {imported.total:.1f} s, "
                f"{rows / imported.total:,.0f} rows/s: upload until 202 {imported.upload:.1f} s, queued "
                f"{imported.queued:.2f} s, the job {imported.job:.1f} s; result {imported.result}"
            )
            print(
                f"baselines on the same tables: parse + COPY into staging {intake:.1f} s "
                f"({rows / intake:,.0f} rows/s), the import took {imported.total / intake:.1f}x that; "
                f"bare INSERT ... SELECT of profiles and links {bare:.1f} s ({rows / bare:,.0f} rows/s), "
                f"the import took {imported.total / bare:.2f}x that"
            )
            created_ok = imported.result.get("created") == rows and not imported.result.get("rejected")
            checks.append((f"every one of {rows:,} profiles created, none rejected", created_ok))
            target_intake = importing.TARGET_INTAKE
            checks.append((f"import intake (parse + COPY) >= {target_intake:,} rows/s", rows / intake >= target_intake))
            figures.update(
                import_s=round(imported.total, 1),
                import_rows_per_s=round(rows / imported.total),
                import_job_s=round(imported.job, 1),
                intake_s=round(intake, 1),
                bare_insert_s=round(bare, 1),
            )
            with engine.connect() as conn:
                analyzed = conn.execute(
                    text(
                        "SELECT n_live_tup, last_analyze, last_autoanalyze FROM pg_stat_user_tables "
                        "WHERE relname = 'profile'"
                    )
                ).one()
            print(f"profile table: {analyzed.n_live_tup:,} live rows, last autoanalyze {analyzed.last_autoanalyze}")

            # 2. notifications ---------------------------------------------------------------
            print(f"\n2. notifications; load {load()}")
            run_figures = notify.time_notification_run(engine, push_url, store=NOTIFY_STORE, radius_km=args.radius_km)
            push_alone = statistics.median(notify.bare_push(push_url, run_figures.eligible) for _ in range(3))
            print(
                f"{run_figures.eligible:,} users notified in {run_figures.total:.2f} s from starts_at "
                f"({run_figures.rate:,.0f} messages/s): {run_figures.to_job:.2f} s until the run's job started, "
                f"{run_figures.job:.2f} s in the job (recording {run_figures.record:.2f} s, sending "
                f"{run_figures.send:.2f} s); {run_figures.recorded:,} rows recorded"
            )
            print(
                f"baseline: the same messages sent by the push client alone in {push_alone:.2f} s (median of 3); "
                f"the run's sending {run_figures.send / push_alone:.1f}x that, "
                f"starts_at to all accepted {run_figures.total / push_alone:.1f}x"
            )
            checks.append(
                (
                    f"notifications: every message accepted <= {TARGET_NOTIFY_S:.0f} s after starts_at",
                    run_figures.total <= TARGET_NOTIFY_S,
                )
            )
            checks.append(
                ("notifications: rows recorded == users counted", run_figures.recorded == run_figures.eligible)
            )
            figures.update(
                notified=run_figures.eligible,
                notify_s=round(run_figures.total, 2),
                notify_to_job_s=round(run_figures.to_job, 2),
                notify_record_s=round(run_figures.record, 2),
                notify_send_s=round(run_figures.send, 2),
                push_alone_s=round(push_alone, 2),
            )

            # 3. holds -----------------------------------------------------------------------
            now = datetime.now(UTC)
            promo = {
                "product_id": products[HOLDS_STORE],
                "promo_price_cents": 59_900,
                "starts_at": (now - timedelta(minutes=1)).isoformat(),
                "ends_at": (now + timedelta(hours=2)).isoformat(),
                "segments": list(SEGMENTS),
                "radius_km": args.holds_radius_km,
                "units": HOLD_UNITS,
                "per_user_limit": 1,
            }
            through, direct = (created(gateway, app, "/promotions/promos", promo) for _ in range(2))
        started = time.monotonic()
        runs = wait_notification_runs(engine, [through, direct])
        print(
            f"\n3. holds; the two holds promos' own notification runs first: {runs[0][0]:,} and {runs[1][0]:,} "
            f"users recorded (the second's were notified that day by the first), jobs of {runs[0][1]:.1f} "
            f"and {runs[1][1]:.1f} s, all done {time.monotonic() - started:.1f} s after they were created"
        )
        with Session(engine) as session:
            users = [profile.user for profile in eligible_profiles(session, client=CLIENT, promo_id=through)]
        if len(users) < args.holds:
            raise SystemExit(f"only {len(users):,} users within {args.holds_radius_km} km: fewer than --holds")
        random.Random(1).shuffle(users)
        users = users[: args.holds]

        ceiling = asyncio.run(
            drive(service_url, "/health/live", "GET", [None] * 5 * args.callers * 20, lambda _i: {}, args.callers)
        )
        print(
            f"the client alone: {ceiling.rate:,.0f} requests/s on the service's GET /health/live at "
            f"{args.callers} callers, {ceiling.cpu_per_request_us:,.0f} us of its CPU per request"
        )

        print(f"autovacuum now: {autovacuum(engine) or 'none'}")
        print(f"through the gateway, {len(users):,} holds at {args.callers} callers; load {load()}")
        app_headers = dict(app)
        gateway_load, gateway_cpu = timed_holds(
            plan, engine, gateway_url, through, users, args.callers, lambda _i: app_headers, key_prefix="g"
        )
        print(f"directly against the service; load {load()}")

        def signed(index: int) -> dict[str, str]:
            return signed_headers(
                secret, method="POST", target="/promotions/holds", client=CLIENT, request_id=f"bench-{run}-{index}"
            )

        direct_load, direct_cpu = timed_holds(
            plan, engine, service_url, direct, users, args.callers, signed, key_prefix="d"
        )
        runs_cpu = {"gateway": gateway_cpu, "direct": direct_cpu}
        for name, promo_id, result in (("gateway", through, gateway_load), ("direct", direct, direct_load)):
            fine, found = oversold(engine, promo_id, result)
            answers = ", ".join(
                f"{status} {code}".strip() + f": {count:,}" for (status, code), count in result.answers.most_common()
            )
            print(
                f"{name:>8}: {result.rate:,.0f} holds/s, p50 {result.ms(0.5):.1f} ms, p99 {result.ms(0.99):.1f} ms, "
                f"max {result.ms(1.0):.0f} ms; answers {answers}; {found}; client CPU "
                f"{result.cpu / result.seconds:.0%} of a core ({result.cpu_per_request_us:,.0f} us a request)"
            )
            print(f"{'':>10}CPU during the run, in shares of a core: {runs_cpu[name]}")
            checks.append(
                (f"holds {name}: no oversell, every hold answered 201", fine and result.answers[201, ""] == len(users))
            )
        faster = max(gateway_load.rate, direct_load.rate)
        print(
            f"the client is not the bottleneck: the faster run is {faster / ceiling.rate:.0%} of the client's "
            f"ceiling, and the client used {gateway_load.cpu / gateway_load.seconds:.0%} and "
            f"{direct_load.cpu / direct_load.seconds:.0%} of a core"
            if faster < ceiling.rate / 2
            else f"the client may be a bottleneck: the faster run is {faster / ceiling.rate:.0%} of its ceiling"
        )
        print(
            f"the gateway's share: {gateway_load.rate / direct_load.rate:.0%} of the direct rate, "
            f"p50 +{gateway_load.ms(0.5) - direct_load.ms(0.5):.1f} ms, "
            f"p99 +{gateway_load.ms(0.99) - direct_load.ms(0.99):.1f} ms"
        )
        checks.append(
            (
                f"holds through the gateway >= {TARGET_HOLDS_PER_S:.0f}/s at {args.callers} callers",
                gateway_load.rate >= TARGET_HOLDS_PER_S,
            )
        )
        figures.update(
            holds_gateway_per_s=round(gateway_load.rate),
            holds_direct_per_s=round(direct_load.rate),
            holds_gateway_p50_ms=round(gateway_load.ms(0.5), 1),
            holds_gateway_p99_ms=round(gateway_load.ms(0.99), 1),
            holds_direct_p50_ms=round(direct_load.ms(0.5), 1),
            holds_direct_p99_ms=round(direct_load.ms(0.99), 1),
            client_ceiling_per_s=round(ceiling.rate),
        )
        print(f"load average after: {load()}\n")
        for name, ok in checks:
            print(f"{'PASS' if ok else 'FAIL'}  {name}")
        print(json.dumps(figures))
        return all(ok for _, ok in checks)
    finally:
        for engine in engines:
            engine.dispose()
        distributed.down(plan.state_dir)
        events.drop_databases(plan)
        asyncio.run(events.delete_bus_entities(plan.bus_namespace))
        shutil.rmtree(plan.state_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=1_000_000, help="profiles imported")
    parser.add_argument("--radius-km", type=float, default=6.3, help="the notified promo's radius")
    parser.add_argument("--holds", type=int, default=10_000, help="holds of each of the two runs")
    parser.add_argument("--holds-radius-km", type=float, default=7.0, help="the holds promos' radius")
    parser.add_argument("--callers", type=int, default=64, help="concurrent callers taking holds")
    args = parser.parse_args()
    events.limit_address_space()
    sys.exit(0 if bench(args) else 1)


if __name__ == "__main__":
    main()
