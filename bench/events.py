"""Events at broker speed: the platform's outbox → RabbitMQ → five inboxes, beside bare aio-pika.

    python bench/events.py [--events 20000] [--rate 500] [--seconds 10]

Starts the distributed platform (`make up`: a process per API and worker, PostgreSQL, RabbitMQ) on
its own port base, database prefix and bus namespace, so that it never meets a developer's own
platform or another run, and once it is up and idle measures, in this order:
1. the bare baseline on the same broker: aio-pika publishing `--events` messages of the size of a
   client event with confirms, 200 in flight (a semaphore around `asyncio.gather`), to a durable
   topic exchange and a quorum queue; then consuming them with `prefetch_count=200` and an ack per
   message (MEASURED.md's two rows);
2. the burst: `--events` `gateway.client.registered` events written into the gateway's outbox in
   one transaction (the rows `add_event` writes, in one multi-row insert). The relay's rate is
   events / (last `sent_at` - commit); "all handled" is the time from the commit until this process
   sees every event in all five services' inboxes (polled every 50 ms), and every tenant row written;
3. latency: events offered at `--rate` a second for `--seconds`, each in its own committed
   transaction (two writer threads, paced); commit-to-handled is each service's inbox `processed_at`
   minus the commit's end as this process saw it (one clock: the same machine). The target is on
   each delivery (event, service); the time until all five had an event is printed beside it.
Prints each figure, its ratio to the baseline, and PASS/FAIL against: relay >= 3,000 events/s;
the burst handled by all five in <= 20 s; commit-to-handled p99 <= 100 ms at 500 events/s.
Everything is stopped, and the databases and broker entities dropped, at the end. Each process
started gets an address-space limit (RLIMIT_AS, 4 GiB).

Design decisions, and the figures that made them:
- Consumers take batches (`Bus.consume_batches`): up to BUS_BATCH_SIZE (100) messages, or what
  arrives within BUS_BATCH_WAIT_MS (5 ms) of the oldest; one thread hop and one transaction for the
  batch's inbox rows (one INSERT ... ON CONFLICT DO NOTHING RETURNING) and effects, then one
  `basic.ack` with `multiple`. Before, each message was its own thread hop and transaction: 83
  events/s per service, 241 s for 20,000 to five services (MEASURED.md).
- Tenant rows are written with one upsert per batch (`remember_clients`): a batch of 100 client
  events took 68-184 ms with an upsert per event (0.7 ms each, most of it SQLAlchemy building the
  statement, profiled), 32-84 ms with one upsert for the batch (same loaded machine, inbox and
  commit included).
- A batch is at most half the prefetch window (100 of 200), so that the next batch is already
  delivered while one is handled; batches of one queue are handled one after another, which is what
  lets a single multiple-ack settle exactly one batch.
- A failed batch is handled again message by message, each alone in its transaction: one poison
  message costs its batch one extra round, and only it is redelivered and dead-lettered.
- The relay is woken by the commit (a statement trigger's NOTIFY, LISTENed on its own connection):
  at 500 events/s the poll's 100 ms would be the whole latency budget by itself. It claims 5,000
  rows at a time (was 1,000), connects and claims in one thread hop, and marks them sent with one
  array parameter (`= ANY`) rather than 5,000 bind parameters: marking 20,000 rows went from 1.0 s
  to 0.6 s. Publishing already kept 200 confirms in flight and, alone on a quiet machine with one
  bound queue, relays 7,450 events/s, as fast as bare aio-pika (7,260/s); a window of 1,000 gained
  nothing. Bound to five quorum queues, as the platform is, the same relay alone makes 3,190-3,340/s:
  the broker's fan-out to five quorum queues halves it.
- Workers run on uvloop (the APIs already did): 20-30 % more events relayed in paired runs.

- Messages go through the aiormq channel beneath each robust aio-pika channel
  (`bus.rabbit_deliveries`): measured alone at load 0.75, a consume loop costs 78 µs of CPU a
  message on aiormq against 131 µs through aio-pika's IncomingMessage and task per delivery, and a
  publish to five quorum queues 161 against 199 µs. aio-pika still owns reconnection.

Where the time goes (`top` and py-spy during the burst): the five consumers take 15-20 % of the
machine each, the broker 20-26 %, the relay (gateway worker) 15 %. The relay is starved of CPU, not
of confirms. Inside a consumer, a third of its busy time is aiormq reading frames (pamqp
unmarshalling three frames a message), a quarter the batch's SQL and commit, 7 % decoding envelopes;
inside the relay, three quarters is building each publish (pamqp validating the exchange name with a
regular expression and marshalling three frames, aiormq's lock, futures and countdown), 4 % writing
to the socket. The broker itself spends about 235 µs of CPU on each message it routes to five
quorum queues (its process time over a 20,000-message publish): at 3,000 events/s that is 70 % of a
core before it delivers anything, on a machine of two cores whose other 130 % the five consumers,
PostgreSQL and the relay share. What is left is per-message Python in the AMQP client library on
both sides; frames written by hand (a cached method frame per routing key, one write per batch)
would be the next step, at the price of owning part of the protocol.

Figures (two cores shared with other work; load average before the run):
- 22:25 UTC, load 1.39: bare publish 7,263/s, consume 7,966/s; relay 1,329 events/s (18 %);
  20,000 events handled by all five in 22.6 s (884/s each, 4,418 deliveries/s together, 55 % of
  bare consume; was 241 s); 500/s asked, 285/s offered (writers through SQLAlchemy, since replaced):
  commit-to-handled p50 24.3 ms, p99 158.8 ms (all five: p50 43.6, p99 230.8 ms). FAIL, FAIL, FAIL.
- 22:27 UTC, load 2.13 (other engineers' tests running): bare 4,285/s and 5,654/s; relay 762/s
  (18 %); all handled in 36.0 s; 126/s offered: p50 55.6 ms, p99 321.3 ms.
- 22:32 UTC, load 5.35, writers on autocommit connections: bare 5,355/s and 6,318/s; relay 971/s
  (18 %); all handled in 29.9 s; 464/s offered: p50 342 ms, p99 1,323 ms. At this load the
  platform does not keep up with 464 events/s (2,320 deliveries/s) in small batches: the backlog,
  not the path, is the latency (the relay's own commit-to-sent was printed from the next run on).
- 22:34 UTC, load 7.22, `--events 5000 --batch-wait-ms 25`: bare 4,613/s and 5,043/s; relay 749/s
  (16 %); 5,000 handled by all five in 9.9 s; 397/s offered: p50 2,100 ms, p99 3,780 ms, of which
  commit-to-sent p50 311 ms, p99 1,425 ms. A longer batch wait did not help under this load.
- 22:36 UTC, load 3.19 rising to 8.85, batches written as executemany (a batch of 100: 32 ms of
  CPU before, 11 ms after): bare 4,528/s and 5,642/s; relay 651/s (14 %); all handled in 31.5 s,
  right behind the relay (the consumers keep up with it); 382/s offered: p50 155 ms, p99 557 ms,
  of which commit-to-sent p50 106 ms, p99 718 ms.
- 22:38 UTC, load 5.06 rising to 9.04, three relay rounds at once: bare 5,613/s and 6,492/s; relay
  647/s (12 %); all handled in 31.9 s; 345/s offered: p50 186 ms, p99 487 ms (commit-to-sent p50
  153 ms). The same relay outside the platform, at 400 events/s committed one by one, bound to five
  quorum queues, no consumers, load 8: commit-to-sent p50 6.9 ms, p99 22 ms. So the relay's path is
  short; in the platform it waits for CPU, which the five consumers and the broker take.
- 22:42 UTC, paired, load 5.6 then 8.1, `--events 5000 --seconds 8`: with BUS_BATCH_WAIT_MS 20,
  relay 839/s, 5,000 handled in 6.7 s, 384/s offered, p50 425 ms, p99 900 ms (commit-to-sent p50
  401 ms); with 5, relay 775/s, 7.0 s, 446/s offered, p50 352 ms, p99 1,194 ms (commit-to-sent p50
  238 ms). The batch wait is not where the latency is: the relay is, inside the platform only. Not
  yet explained: whether confirms slow down while the broker also delivers to five consumers, or
  the gateway worker gets too little CPU; measuring the relay with consumers but outside the
  platform is the next step.
- 22:47 UTC, the first run on a machine with nothing else running (load 1.06 before): bare
  5,288/s and 6,801/s; relay 1,075/s (20 %); 20,000 handled by all five in 19.0 s (PASS), 5,260
  deliveries/s together (77 % of bare consume); 451/s offered: p50 87 ms, p99 449 ms, of which
  commit-to-sent p50 63 ms, p99 421 ms. FAIL, PASS, FAIL.
- 22:50 UTC, load 2.1, the same with the publish window at 2,000 instead of 200 (a trial setting,
  not kept): relay 988/s, all handled in 22.1 s, p99 316 ms. A wider window of confirms changes
  nothing inside the platform, so the relay is not waiting for confirms: it is short of CPU.
- 22:58-23:03 UTC, nothing else running, BUS_BATCH_WAIT_MS 25, then 5, then 25 again: relay
  976, 1,071 and 779/s; all handled in 21.0, 18.8 and 25.8 s; 499/s offered: p99 235, 263 and
  405 ms (commit-to-sent p99 274, 142 and 404 ms). The bare baseline itself moved from 6,373 to
  7,030 to 4,688/s between these runs, so the machine, not the batch wait, decides; the default
  stays at 5 ms. The burst target holds in about half of the quiet runs; relay and latency do not.
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, and bench/gateway.py would shadow the
# `gateway` package the platform imports.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

import aio_pika  # noqa: E402
import psycopg  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402

from quintet_platform import distributed  # noqa: E402
from quintet_platform.components import SANDBOX_PORT_OFFSET, SERVICES  # noqa: E402
from quintet_shared.db import make_engine, session_scope  # noqa: E402
from quintet_shared.envelope import Envelope  # noqa: E402
from quintet_shared.outbox import add_events  # noqa: E402
from quintet_shared.tables import inbox_message, outbox_message, tenant  # noqa: E402
from quintet_shared.tenants import CLIENT_REGISTERED  # noqa: E402

POSTGRES = os.environ.get("TEST_DATABASE_URL", distributed.DEFAULT_POSTGRES_URL)
AMQP = os.environ.get("TEST_AMQP_URL", distributed.DEFAULT_AMQP_URL)
TARGET_RELAY, TARGET_ALL_HANDLED_S, TARGET_P99_MS = 3000.0, 20.0, 100.0
IN_FLIGHT, PREFETCH = 200, 200
ADDRESS_SPACE = 4 * 1024**3


def client_event(run: str, number: int) -> Envelope:
    data = {
        "code": f"b{run}{number:07d}",
        "name": f"Bench client {number}",
        "services": list(SERVICES),
        "rate_limit_per_minute": 600,
        "active": True,
    }
    return Envelope.new(type=CLIENT_REGISTERED, source="gateway", data=data)


# --- the bare baseline -------------------------------------------------------------------------


async def bare_rates(count: int, body: bytes) -> tuple[float, float]:
    """aio-pika alone: publish `count` with confirms (200 in flight), then consume them (prefetch 200)."""
    name = f"bench-bare-{uuid.uuid4().hex[:8]}"
    async with await aio_pika.connect(AMQP) as connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(name, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(name, durable=True, arguments={"x-queue-type": "quorum"})
        await queue.bind(exchange, "#")
        window = asyncio.Semaphore(IN_FLIGHT)

        async def publish(number: int) -> None:
            async with window:
                message = aio_pika.Message(body, message_id=str(number), delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
                await exchange.publish(message, CLIENT_REGISTERED, mandatory=True)

        started = time.perf_counter()
        await asyncio.gather(*(publish(number) for number in range(count)))
        publish_rate = count / (time.perf_counter() - started)

        consumer = await connection.channel()
        await consumer.set_qos(prefetch_count=PREFETCH)
        done, received = asyncio.Event(), 0

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal received
            await message.ack()
            received += 1
            if received == count:
                done.set()

        started = time.perf_counter()
        await (await consumer.get_queue(name)).consume(on_message)
        await asyncio.wait_for(done.wait(), timeout=600)
        consume_rate = count / (time.perf_counter() - started)
        await channel.queue_delete(name)
        await channel.exchange_delete(name)
    return publish_rate, consume_rate


# --- the platform --------------------------------------------------------------------------------


def free_port_base() -> int:
    """A base whose every port the platform uses (APIs, sandbox, worker health) is free."""
    # Below the ephemeral range, where outgoing connections would take ports between the check and the start.
    ephemeral_low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for _ in range(200):
        base = random.randrange(20000, max(ephemeral_low - 200, 20010), 10)
        offsets = [*range(len(SERVICES) + 1), SANDBOX_PORT_OFFSET]
        ports = [base + offset for offset in offsets] + [base + 100 + offset for offset in offsets]
        if all(_free(port) for port in ports):
            return base
    raise SystemExit("no free port base found")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def drop_databases(plan: distributed.Plan) -> None:
    admin = create_engine(make_url(POSTGRES).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        names = conn.execute(
            text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": f"{plan.database_prefix}_%"}
        ).scalars()
        for name in list(names):
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


async def delete_bus_entities(namespace: str) -> None:
    names = [f"{component}.{kind}" for component in (*SERVICES, "gateway") for kind in ("events", "jobs")]
    queues = [*names, *(f"{name}.dlq" for name in names), "quintet.events.unrouted"]
    exchanges = ["quintet.events", "quintet.events.dlx", "quintet.events.unrouted"]
    async with await aio_pika.connect(AMQP) as connection:
        for queue in queues:
            channel = await connection.channel()  # a missing queue closes the channel: one each
            with contextlib.suppress(aio_pika.exceptions.AMQPError):
                await channel.queue_delete(f"{namespace}.{queue}")
        channel = await connection.channel()
        for exchange in exchanges:
            await channel.exchange_delete(f"{namespace}.{exchange}")


# --- the burst -----------------------------------------------------------------------------------


def write_burst(gateway: Engine, events: Sequence[Envelope]) -> datetime:
    """All of `events` in the gateway's outbox in one transaction; returns when the commit ended."""
    with session_scope(gateway) as session:
        add_events(session, events)
    return datetime.now(UTC)


def handled_counts(services: dict[str, Engine]) -> dict[str, int]:
    counts = {}
    for name, engine in services.items():
        with engine.connect() as conn:
            counts[name] = conn.execute(select(func.count()).select_from(inbox_message)).scalar_one()
    return counts


def measure_burst(gateway: Engine, services: dict[str, Engine], run: str, count: int) -> tuple[float, float]:
    """Returns (relay events/s, seconds until all five services had handled every event)."""
    events = [client_event(run, number) for number in range(count)]
    committed = write_burst(gateway, events)
    started = time.monotonic()
    while True:
        counts = handled_counts(services)
        if all(value >= count for value in counts.values()):
            all_handled = time.monotonic() - started
            break
        if time.monotonic() - started > 300:
            raise SystemExit(f"the burst was not handled within 300 s: {counts}")
        time.sleep(0.05)
    with gateway.connect() as conn:
        last_sent = conn.execute(select(func.max(outbox_message.c.sent_at))).scalar_one()
        unsent = conn.execute(select(func.count()).where(outbox_message.c.sent_at.is_(None))).scalar_one()
    for name, engine in services.items():
        with engine.connect() as conn:
            tenants = conn.execute(select(func.count()).select_from(tenant)).scalar_one()
        if tenants != count:
            raise SystemExit(f"{name} holds {tenants} tenants, not {count}")
    if unsent:
        raise SystemExit(f"{unsent} events were handled but not marked sent")
    return count / (last_sent - committed).total_seconds(), all_handled


# --- latency -------------------------------------------------------------------------------------


def offer(database_url: str, run: str, rate: float, seconds: float, writers: int = 2) -> dict[uuid.UUID, datetime]:
    """Commit one event per transaction at `rate` a second for `seconds`; returns each commit's end.

    Each writer inserts the row `add_event` writes on its own autocommit connection (one INSERT, one
    transaction): through a SQLAlchemy session per event the writers took most of a core and could
    not offer 500/s on a loaded machine (285/s)."""
    committed: dict[uuid.UUID, datetime] = {}
    total = int(rate * seconds)
    conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    statement = "INSERT INTO outbox_message (message_id, type, body, created_at, attempts) VALUES (%s, %s, %s, %s, 0)"
    start = time.monotonic() + 0.2

    def write(first: int) -> None:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            for number in range(first, total, writers):
                delay = start + number / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                envelope = client_event(f"l{run}", number)
                conn.execute(statement, (envelope.id, envelope.type, envelope.encode().decode(), envelope.time))
                committed[envelope.id] = datetime.now(UTC)

    threads = [threading.Thread(target=write, args=(first,)) for first in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    achieved = total / (time.monotonic() - start)
    print(f"offered {total} events at {achieved:,.0f}/s (asked {rate:,.0f}/s), one transaction each")
    return committed


def latencies(
    services: dict[str, Engine], committed: dict[uuid.UUID, datetime], *, within: float = 60
) -> tuple[list[float], list[float]]:
    """(ms per delivery (event, service), ms per event until its last service) once all are handled."""
    deadline = time.monotonic() + within
    handled: dict[str, dict[uuid.UUID, datetime]] = {}
    while time.monotonic() < deadline:
        for name, engine in services.items():
            with engine.connect() as conn:
                rows = conn.execute(
                    select(inbox_message.c.message_id, inbox_message.c.processed_at).where(
                        inbox_message.c.message_id.in_(list(committed))
                    )
                )
                handled[name] = {row.message_id: row.processed_at for row in rows}
        if all(len(rows) == len(committed) for rows in handled.values()):
            break
        time.sleep(0.2)
    else:
        raise SystemExit(f"not all offered events were handled within {within} s")
    per_delivery = [
        (at - committed[message_id]).total_seconds() * 1000
        for rows in handled.values()
        for message_id, at in rows.items()
    ]
    per_event = [
        max((handled[name][message_id] - at).total_seconds() * 1000 for name in services)
        for message_id, at in committed.items()
    ]
    return per_delivery, per_event


def relay_latencies(gateway: Engine, committed: dict[uuid.UUID, datetime]) -> list[float]:
    """ms from each offered event's commit to the relay marking it sent (after the broker's confirm)."""
    with gateway.connect() as conn:
        rows = conn.execute(
            select(outbox_message.c.message_id, outbox_message.c.sent_at).where(
                outbox_message.c.message_id.in_(list(committed))
            )
        )
        return [(row.sent_at - committed[row.message_id]).total_seconds() * 1000 for row in rows]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- the run -------------------------------------------------------------------------------------


def limit_address_space() -> None:
    """Applies to this process and, inherited, to every process of the platform it starts."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = ADDRESS_SPACE if hard == resource.RLIM_INFINITY else min(ADDRESS_SPACE, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def bench(args: argparse.Namespace) -> bool:
    run = uuid.uuid4().hex[:6]
    plan = distributed.Plan(
        state_dir=Path(tempfile.mkdtemp(prefix="events-bench-")),
        port_base=free_port_base(),
        postgres_url=POSTGRES,
        database_prefix=f"bench_{run}",
        amqp_url=AMQP,
        bus_namespace=f"bench-{run}",
    )
    print(f"load average before: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    engines: list[Engine] = []
    try:
        started = time.monotonic()
        distributed.up(plan, timeout=240)
        print(f"platform up in {time.monotonic() - started:.0f} s (port base {plan.port_base}, namespace {run})")
        gateway = make_engine(plan.database_url("gateway"))
        services = {name: make_engine(plan.database_url(name)) for name in SERVICES}
        engines = [gateway, *services.values()]
        time.sleep(2)  # let the platform settle to idle

        publish_rate, consume_rate = asyncio.run(bare_rates(args.events, client_event(run, 0).encode()))
        print(
            f"bare aio-pika: publish {publish_rate:,.0f}/s (confirms, {IN_FLIGHT} in flight), "
            f"consume {consume_rate:,.0f}/s (prefetch {PREFETCH}, an ack each)"
        )

        relay_rate, all_handled = measure_burst(gateway, services, run, args.events)
        per_service = args.events / all_handled
        print(f"relay: {relay_rate:,.0f} events/s = {relay_rate / publish_rate:.0%} of bare publish")
        print(
            f"{args.events:,} events handled by all five services in {all_handled:.1f} s: "
            f"{per_service:,.0f}/s each = {per_service / consume_rate:.0%} of bare consume, "
            f"{5 * per_service:,.0f} deliveries/s together = {5 * per_service / consume_rate:.0%}"
        )

        committed = offer(plan.database_url("gateway"), run, args.rate, args.seconds)
        per_delivery, per_event = latencies(services, committed)
        relayed = relay_latencies(gateway, committed)
        p50, p99 = percentile(per_delivery, 0.50), percentile(per_delivery, 0.99)
        print(
            f"commit-to-handled per delivery: p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
            f"max {max(per_delivery):.1f} ms; until all five: p50 {percentile(per_event, 0.5):.1f} ms, "
            f"p99 {percentile(per_event, 0.99):.1f} ms (mean {statistics.fmean(per_delivery):.1f} ms)"
        )
        print(
            f"of which commit-to-sent (relay, confirm included): p50 {percentile(relayed, 0.5):.1f} ms, "
            f"p99 {percentile(relayed, 0.99):.1f} ms"
        )
        print(f"load average after: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")

        checks = [
            (f"relay >= {TARGET_RELAY:,.0f} events/s", relay_rate >= TARGET_RELAY),
            (f"all handled in <= {TARGET_ALL_HANDLED_S:.0f} s", all_handled <= TARGET_ALL_HANDLED_S),
            (f"commit-to-handled p99 <= {TARGET_P99_MS:.0f} ms", p99 <= TARGET_P99_MS),
        ]
        for name, ok in checks:
            print(f"{'PASS' if ok else 'FAIL'}  {name}")
        print(
            json.dumps(
                {
                    "relay_per_s": round(relay_rate),
                    "all_handled_s": round(all_handled, 2),
                    "p50_ms": round(p50, 1),
                    "p99_ms": round(p99, 1),
                    "bare_publish_per_s": round(publish_rate),
                    "bare_consume_per_s": round(consume_rate),
                }
            )
        )
        return all(ok for _, ok in checks)
    finally:
        for engine in engines:
            engine.dispose()
        distributed.down(plan.state_dir)
        drop_databases(plan)
        asyncio.run(delete_bus_entities(plan.bus_namespace))
        shutil.rmtree(plan.state_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20000, help="events of the burst (and of the baseline)")
    parser.add_argument("--rate", type=float, default=500, help="events a second offered for the latency")
    parser.add_argument("--seconds", type=float, default=10, help="how long the rate is offered")
    parser.add_argument("--batch-wait-ms", type=float, help="BUS_BATCH_WAIT_MS for the platform (default: its own)")
    args = parser.parse_args()
    limit_address_space()
    if args.batch_wait_ms is not None:
        os.environ["BUS_BATCH_WAIT_MS"] = str(args.batch_wait_ms)  # the platform's processes inherit it
    sys.exit(0 if bench(args) else 1)


if __name__ == "__main__":
    main()
