"""Bulk ingestion into PostgreSQL against the original's row-by-row way and a bare COPY.

    python bench/readings_ingest.py [N] [--format carrots|potatoes] [--rounds 3] [--sample 5000]
                                    [--database-url URL]

Generates a file of N readings (default 1,000,000) in the client's format, with many supply points
and meters (carrots: per supply point an interval meter, 48 half-hours a day, and a register
meter), and on the server (TEST_DATABASE_URL, else the local one), in throwaway databases:
1. ingests the file with `ingest_file` in a child process, in a freshly migrated database: wall time
   (parse, checks, landing and commit), readings/s, and the child's peak resident memory
   (ru_maxrss: tracemalloc would slow a million rows down too much);
2. takes the rows that ingestion stored, exactly as stored, and COPYs them back into the emptied
   `reading` table (its primary key and the unique index that makes a reading a reading: the
   least work that puts these rows where ingestion puts them), then into a plain table without
   any index, for reference; each COPY is timed with its commit;
3. loads a sample of the same readings the way the original did, one ORM get-or-create per row
   (supply point, manufacturer, meter, reading, committed each), and scales its rate to N.
Steps 1 and 2 run `--rounds` times; the median round counts. Prints the figures, the ratios and
PASS/FAIL against: N = 1,000,000 in at most 10 s, peak under 300 MB, at least 100x the row-by-row
way, within 5x of the bare COPY into `reading`. The databases are dropped.

Measured on a two-core machine (PostgreSQL 15, 1,000,000 readings), median of 3 rounds:
- carrots: 6.64 s (150,000 readings/s), peak 150 MB; bare COPY into `reading` 3.5 s, so 1.9x; a
  COPY into a table without indexes 1.9 s (3.5x); row by row 316 readings/s, so 477x;
- potatoes (one round): 6.62 s, peak 135 MB, 2.0x the bare COPY, 307x row by row.
Before the `reading` table lost its foreign keys and ingestion its conflict check for new supply
points and its sequential phases, carrots took 30-35 s: three per-row foreign-key triggers cost about
16 s, the conflict check about 3 s, and parsing (about 4.5 s of Python) did not overlap the landing.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, func, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from quintet_shared.db import make_engine
from quintet_shared.migrations import upgrade
from readings.client_formats import BUILT_IN, resolve
from readings.component import DEFINITION
from readings.formats.base import ParsedReading
from readings.ingestion import ingest_file
from readings.models import Manufacturer, Meter, Reading, SupplyPoint

LOCAL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TARGET_SECONDS, TARGET_MB, TARGET_ROW_BY_ROW, TARGET_COPY = 10.0, 300, 100, 5
REGISTER_READS = 4  # per supply point, beside the interval meter's half-hours


def write_carrots(path: Path, n: int) -> None:
    days = 2  # 96 half-hours + 4 register reads = 100 readings per supply point
    with path.open("w", encoding="utf-8") as out:
        written, point = 0, 0
        while written < n:
            out.write(f"020|{point:022d}\n022|I{point:09d}|Maker {point % 7}|01\n")
            for day in range(days):
                stamp = (date(2023, 12, 1) + timedelta(days=day)).strftime("%Y%m%d")
                for code in range(1, 49):
                    if written < n:
                        out.write(f"024|{stamp}|{code:02d}|{(code % 9) / 10:.2f}\n")
                        written += 1
            out.write(f"022|R{point:09d}|Maker {point % 5}|02\n")
            for month in range(1, REGISTER_READS + 1):
                if written < n:
                    out.write(f"026|2023{month:02d}01000000|{point + month * 100}.0|S\n")
                    written += 1
            point += 1


def write_potatoes(path: Path, n: int) -> None:
    per_point = 100
    start = datetime(2023, 1, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8") as out:
        out.write("[")
        for point in range((n + per_point - 1) // per_point):
            count = min(per_point, n - point * per_point)
            reads = ",".join(
                f'{{"value": {i}.5, "read_at": "{(start + timedelta(hours=i)).isoformat()}"}}' for i in range(count)
            )
            out.write(("," if point else "") + f'{{"identifier": "{point:012d}", "readings": [{reads}]}}')
        out.write("]")


def child_ingest(url: str, client: str, path: Path) -> None:
    """Runs in its own process, so that ru_maxrss is the ingestion's own peak."""
    engine = make_engine(url)
    started = time.perf_counter()
    with Session(engine) as session, path.open("rb") as stream:
        parser, zone = resolve(session, client)
        result = ingest_file(session, client=client, name=path.name, stream=stream, parser=parser, timezone=zone)
        session.commit()
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "new": result.new_readings, "rejected": result.rejected}))


def row_by_row(url: str, client: str, path: Path, sample: int) -> tuple[int, float]:
    """The original's way: every reading looks up or creates its supply point, manufacturer and
    meter, then itself, one statement and one commit at a time. Returns (rows, seconds)."""
    engine = make_engine(url)
    with Session(engine) as session, path.open("rb") as stream:
        parser, zone = resolve(session, client)
        items = (item for item in parser.parse(stream, timezone=zone) if isinstance(item, ParsedReading))
        started, done = time.perf_counter(), 0
        for item in items:
            _get_or_create_reading(session, client, item)
            session.commit()
            done += 1
            if done >= sample:
                break
        return done, time.perf_counter() - started


def _get_or_create_reading(session: Session, client: str, item: ParsedReading) -> None:
    now = datetime.now(UTC)
    point = session.exec(
        select(SupplyPoint).where(SupplyPoint.client == client, SupplyPoint.identifier == item.identifier)
    ).first()
    if point is None:
        point = SupplyPoint(client=client, identifier=item.identifier, created_at=now)
        session.add(point)
        session.flush()
    meter_id = None
    if item.meter_serial is not None:
        maker = session.exec(select(Manufacturer).where(Manufacturer.name == item.manufacturer)).first()
        if maker is None:
            maker = Manufacturer(name=item.manufacturer or "")
            session.add(maker)
            session.flush()
        meter = session.exec(
            select(Meter).where(Meter.supply_point_id == point.id, Meter.serial == item.meter_serial)
        ).first()
        if meter is None:
            meter = Meter(
                supply_point_id=point.id, serial=item.meter_serial, manufacturer_id=maker.id, kind=item.meter_kind
            )  # type: ignore[arg-type]
            session.add(meter)
            session.flush()
        meter_id = meter.id
    found = session.exec(
        select(func.count()).where(
            Reading.supply_point_id == point.id, Reading.meter_id == meter_id, Reading.read_at == item.read_at
        )
    ).one()
    if not found:
        session.add(Reading(supply_point_id=point.id, meter_id=meter_id, read_at=item.read_at, value=item.value))  # type: ignore[arg-type]


READING_COLUMNS = (
    "supply_point_id, meter_id, read_at, value, unit, interval_minutes, time_code, method, estimated, deleted, file_id"
)


def bare_copies(url: str) -> tuple[float, float]:
    """COPY the readings stored by ingestion back into the emptied `reading` table, then into a
    plain table without indexes; returns both times (seconds, each with its commit)."""
    with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)) as db:
        rows = bytearray()
        with db.cursor() as cursor, cursor.copy(f"COPY reading ({READING_COLUMNS}) TO STDOUT") as copy:
            for block in copy:
                rows += block
        db.execute("TRUNCATE reading")
        db.execute("CREATE TABLE bare (LIKE reading INCLUDING DEFAULTS)")
        db.commit()
        times = []
        for table in ("reading", "bare"):
            started = time.perf_counter()
            with db.cursor() as cursor, cursor.copy(f"COPY {table} ({READING_COLUMNS}) FROM STDIN") as copy:
                for offset in range(0, len(rows), 1 << 20):
                    copy.write(rows[offset : offset + (1 << 20)])
            db.commit()
            times.append(time.perf_counter() - started)
        return times[0], times[1]


def fresh_database(admin_url: str) -> tuple[str, str]:
    name = f"readings_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    upgrade(DEFINITION.migrations, url)
    return name, url


def drop_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


@dataclass
class Round:
    seconds: float
    peak_mb: float
    new: int
    rejected: int
    copy_seconds: float  # the same rows into `reading`
    plain_copy_seconds: float  # the same rows into a table without indexes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--format", choices=sorted(BUILT_IN), default="carrots")
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL", LOCAL))
    parser.add_argument("--rounds", type=int, default=3, help="ingestion and COPY rounds; the median counts")
    parser.add_argument("--sample", type=int, default=5_000, help="rows loaded the row-by-row way")
    parser.add_argument("--child", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_ingest(args.child[0], args.format, Path(args.child[1]))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("readings.json" if args.format == "potatoes" else "readings.txt")
        (write_potatoes if args.format == "potatoes" else write_carrots)(path, args.n)
        print(f"{args.format} file of {args.n:,} readings: {path.stat().st_size / 1e6:.1f} MB")
        rounds = [measure_round(args, path, number) for number in range(1, args.rounds + 1)]
        rows, seconds = measure_row_by_row(args, path)
    report(args, rounds, rows / seconds)


def measure_round(args: argparse.Namespace, path: Path, number: int) -> Round:
    name, url = fresh_database(args.database_url)
    try:
        command = [sys.executable, __file__, "--format", args.format, "--child", url, str(path)]
        child = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        copy_seconds, plain_seconds = bare_copies(url)
    finally:
        drop_database(args.database_url, name)
    measured = Round(child["seconds"], child["peak_mb"], child["new"], child["rejected"], copy_seconds, plain_seconds)
    print(
        f"round {number}: ingest_file {measured.seconds:.2f} s (peak {measured.peak_mb:.0f} MB, "
        f"{measured.new:,} new, {measured.rejected} rejected); bare COPY into reading {copy_seconds:.2f} s, "
        f"into a table without indexes {plain_seconds:.2f} s"
    )
    return measured


def measure_row_by_row(args: argparse.Namespace, path: Path) -> tuple[int, float]:
    name, url = fresh_database(args.database_url)
    try:
        return row_by_row(url, args.format, path, args.sample)
    finally:
        drop_database(args.database_url, name)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def report(args: argparse.Namespace, rounds: list[Round], row_rate: float) -> None:
    seconds = median([r.seconds for r in rounds])
    peak = max(r.peak_mb for r in rounds)
    copy_seconds = median([r.copy_seconds for r in rounds])
    plain_seconds = median([r.plain_copy_seconds for r in rounds])
    versus_copy = median([r.seconds / r.copy_seconds for r in rounds])
    versus_plain = median([r.seconds / r.plain_copy_seconds for r in rounds])
    ingest_rate = args.n / seconds
    print(f"median of {len(rounds)} rounds:")
    print(f"ingest_file:  {seconds:.2f} s, {ingest_rate:,.0f} readings/s, peak {peak:.0f} MB (the highest round)")
    print(f"bare COPY:    {copy_seconds:.2f} s into reading, {args.n / copy_seconds:,.0f} rows/s")
    plain = f"{plain_seconds:.2f} s into a table without indexes"
    print(f"              {plain} (ingestion took {versus_plain:.1f}x that, for reference)")
    print(f"row by row:   {row_rate:,.0f} readings/s (N would take {args.n / row_rate:,.0f} s)")
    seconds_for_million = seconds * 1_000_000 / args.n
    print(
        f"{verdict(seconds_for_million <= TARGET_SECONDS)} "
        f"1,000,000 readings in {seconds_for_million:.2f} s (<= {TARGET_SECONDS:.0f} s)"
    )
    print(f"{verdict(peak < TARGET_MB)} peak memory {peak:.0f} MB (< {TARGET_MB} MB)")
    speedup = ingest_rate / row_rate
    print(f"{verdict(speedup >= TARGET_ROW_BY_ROW)} {speedup:,.0f}x the row-by-row way (>= {TARGET_ROW_BY_ROW}x)")
    print(f"{verdict(versus_copy <= TARGET_COPY)} {versus_copy:.1f}x the bare COPY's time (<= {TARGET_COPY}x)")


if __name__ == "__main__":
    main()
