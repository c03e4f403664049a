"""Bulk ingestion into PostgreSQL against the original's row-by-row way and a bare COPY.

    python bench/readings_ingest.py [N] [--format carrots|potatoes] [--database-url URL] [--sample 20000]

Generates a file of N readings (default 1,000,000) in the client's format, with many supply points
and meters (carrots: per supply point an interval meter, 48 half-hours a day, and a register
meter), creates a throwaway database on the server (TEST_DATABASE_URL, else the local one), and:
1. ingests the file with `ingest_file` in a child process: wall time, readings/s, and the child's
   peak resident memory (ru_maxrss: tracemalloc would slow a million rows down too much);
2. loads a sample of the same readings the way the original did, one ORM get-or-create per row
   (supply point, manufacturer, meter, reading, committed each), and scales its rate to N;
3. COPYs the same N rows, already formatted, into a plain table without indexes or keys.
Prints the figures, the ratios and PASS/FAIL against: N = 1,000,000 in at most 10 s, peak under
300 MB, at least 100x the row-by-row way, within 5x of the bare COPY. The database is dropped.

`--without-foreign-keys` drops the reading table's three foreign keys in the throwaway database
first: PostgreSQL checks them row by row (about 5 us each, three per reading), which is most of the
ingestion's time; the option shows what the schema would allow without them.
"""

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

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


def bare_copy(url: str, n: int) -> float:
    """COPY n narrow rows (supply point, meter, time, value), formatted beforehand, into a plain table."""
    start = datetime(2023, 1, 1, tzinfo=UTC)
    buffer = io.StringIO()
    for i in range(n):
        buffer.write(f"{i // 100}\t{i // 50}\t{(start + timedelta(minutes=30 * (i % 100))).isoformat()}\t0.25\n")
    data = buffer.getvalue()
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text("CREATE TABLE bare (supply_point_id int, meter_id int, read_at timestamptz, value numeric)")
        )
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        started = time.perf_counter()
        with cursor.copy("COPY bare FROM STDIN") as copy:
            for offset in range(0, len(data), 1 << 20):
                copy.write(data[offset : offset + (1 << 20)])
        return time.perf_counter() - started


def fresh_database(admin_url: str) -> tuple[str, str]:
    name = f"readings_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    upgrade(DEFINITION.migrations, url)
    return name, url


def drop_reading_foreign_keys(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        for target in ("file_id_ingested_file", "meter_id_meter", "supply_point_id_supply_point"):
            connection.execute(text(f"ALTER TABLE reading DROP CONSTRAINT fk_reading_{target}"))
    engine.dispose()


def drop_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--format", choices=sorted(BUILT_IN), default="carrots")
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL", LOCAL))
    parser.add_argument("--sample", type=int, default=20_000, help="rows loaded the row-by-row way")
    parser.add_argument("--without-foreign-keys", action="store_true", help="drop reading's foreign keys first")
    parser.add_argument("--child", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_ingest(args.child[0], args.format, Path(args.child[1]))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("readings.json" if args.format == "potatoes" else "readings.txt")
        (write_potatoes if args.format == "potatoes" else write_carrots)(path, args.n)
        print(f"{args.format} file of {args.n:,} readings: {path.stat().st_size / 1e6:.1f} MB")
        report(args, path)


def report(args: argparse.Namespace, path: Path) -> None:
    names: list[str] = []
    try:
        name, url = fresh_database(args.database_url)
        names.append(name)
        if args.without_foreign_keys:
            drop_reading_foreign_keys(url)
        command = [sys.executable, __file__, "--format", args.format, "--child", url, str(path)]
        child = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        name, sample_url = fresh_database(args.database_url)
        names.append(name)
        rows, seconds = row_by_row(sample_url, args.format, path, args.sample)
        copy_seconds = bare_copy(sample_url, args.n)
    finally:
        for name in names:
            drop_database(args.database_url, name)
    ingest_rate, row_rate = args.n / child["seconds"], rows / seconds
    print(f"ingest_file:  {child['seconds']:.2f} s, {ingest_rate:,.0f} readings/s, peak {child['peak_mb']:.0f} MB, "
          f"{child['new']:,} new, {child['rejected']} rejected")  # fmt: skip
    print(
        f"row by row:   {row_rate:,.0f} readings/s ({rows:,} rows in {seconds:.1f} s; "
        f"N would take {args.n / row_rate:,.0f} s)"
    )
    print(f"bare COPY:    {copy_seconds:.2f} s, {args.n / copy_seconds:,.0f} rows/s")
    speedup, versus_copy = ingest_rate / row_rate, child["seconds"] / copy_seconds
    seconds_for_million = child["seconds"] * 1_000_000 / args.n
    print(
        f"{verdict(seconds_for_million <= TARGET_SECONDS)} "
        f"1,000,000 readings in {seconds_for_million:.2f} s (<= {TARGET_SECONDS:.0f} s)"
    )
    print(f"{verdict(child['peak_mb'] < TARGET_MB)} peak memory {child['peak_mb']:.0f} MB (< {TARGET_MB} MB)")
    print(f"{verdict(speedup >= TARGET_ROW_BY_ROW)} {speedup:,.0f}x the row-by-row way (>= {TARGET_ROW_BY_ROW}x)")
    print(f"{verdict(versus_copy <= TARGET_COPY)} {versus_copy:.1f}x the bare COPY's time (<= {TARGET_COPY}x)")


if __name__ == "__main__":
    main()
