"""The profiles import (POST /promotions/profiles/files, `promotions profiles import`) on PostgreSQL.

    python bench/profiles_import.py [--rows 1000000] [--database-url URL]

A generated CSV of `--rows` profiles (user references with leading zeros, emails, a location within
5 km of one of 100 stores, one or both of the two segments or none, some without a location) is
imported by the use case the job and the CLI run, into a throwaway database migrated with the
promotions migrations (TEST_DATABASE_URL's server, else the local one), and timed in stages:
1. parse: the CSV parser alone, no database (rows/s);
2. parse + COPY: the parser thread's chunks copied into the staging table, nothing landed: the
   import's intake rate, the one that must be well above 100,000 rows/s;
3. import into empty tables (every profile created, its links inserted), committed;
4. the same file again (every profile found and left as it is: nothing written);
5. a file that moves every profile and changes its segments (every profile updated, links swapped).
Beside them, the bare database: the same profiles and links inserted from a temporary table by two
plain INSERT ... SELECT statements (no parsing, no staging, no checks). Prints rows/s and the peak
resident memory of the process (the file is never held whole). The database is dropped.

Measured on a two-core machine shared with other work (load average 2-4; PostgreSQL 15 on the same
machine, default settings), 1,000,000 rows (66 MB), 1,000,000 links:
- parse 1.75 s (571,000 rows/s); parse + COPY 5.5 s (183,000 rows/s; 114,000/s before the COPY text
  was escaped only when needed and the location passed on as written);
- import into empty tables 42.5 s (23,600 rows/s), beside the bare INSERT ... SELECT of the same
  profiles and links 26.9 s: the database's own work is most of it;
- the same file again 14.4 s (69,500 rows/s): one probe of the unique index per row, nothing written;
- every profile moved and its segments swapped 66.6 s (15,000 rows/s): a million updated rows (their
  location is indexed, so no update is HOT) and two million link changes;
- peak resident memory 164 MB.
Where the time goes, per chunk of 100,000 (statement timings): the profiles INSERT 1.0-2.1 s (three
indexes: the primary key, the unique (client, user), the (client, latitude, longitude) box index),
the links INSERT 1.4-2.9 s, of which the foreign keys' per-row checks are about 60 %: 100,000 links
took 2.05 s with profile_segment's two foreign keys and 0.74 s into a copy of the table without them
(readings' `reading` table has none for this reason). The lookup of existing users 0.3-0.4 s.
Tried and dropped: one INSERT ... ON CONFLICT DO UPDATE per chunk (2.56 s per 100,000 profiles
against 1.08 s for a plain INSERT: each row goes into the unique index twice); a hash join for the
lookup (it reads the client's whole table, so each chunk costs more than the last).
"""

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path: keep it from shadowing packages.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

from sqlalchemy import text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from promotions import profile_import_sql as sql  # noqa: E402
from promotions.component import DEFINITION  # noqa: E402
from promotions.profile_csv import ProfileCsv  # noqa: E402
from promotions.profile_import import PARSER_THREAD, Chunk, ChunkBuilder, import_profiles  # noqa: E402
from quintet_shared.bulk import chunks_from_thread, copy_rows  # noqa: E402
from quintet_shared.db import make_engine, session_scope  # noqa: E402
from quintet_shared.geo import destination  # noqa: E402
from quintet_shared.migrations import upgrade  # noqa: E402
from quintet_shared.testing.servers import fresh_postgres_database  # noqa: E402

LOCAL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CLIENT = "promos"
SEGMENTS = ("New users", "Frequent buyers")
STORES = 100
TARGET_INTAKE = 100_000  # rows/s of parse + COPY


def write_csv(path: Path, rows: int, *, moved: bool = False) -> int:
    """A profiles CSV; `moved`: the same users elsewhere, with the other segments. Returns its links."""
    rng = random.Random(7 if not moved else 8)
    stores = [(43.0 + rng.uniform(0, 2), 76.0 + rng.uniform(0, 2)) for _ in range(STORES)]
    lists = ["New users", "Frequent buyers", "New users;Frequent buyers", ""]
    links = 0
    with path.open("w") as out:
        out.write("user,email,latitude,longitude,segments\n")
        for n in range(rows):
            pick = (n + moved) % 4
            links += (1, 1, 2, 0)[pick]
            if n % 50 == 0:
                location = ","
            else:
                store = stores[n % STORES]
                latitude, longitude = destination(*store, rng.uniform(0, 360), rng.uniform(0, 5))
                location = f"{latitude:.6f},{longitude:.6f}"
            out.write(f"{n:09d},user{n}@example.com,{location},{lists[pick]}\n")
    return links


def timed(step: Callable[[], object]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def parse_only(path: Path) -> None:
    with path.open("rb") as stream:
        for _ in ProfileCsv(dict(zip(SEGMENTS, (1, 2), strict=True))).rows(stream):
            pass


def parse_and_copy(engine, path: Path, *, client: str = CLIENT) -> None:
    """The import's intake: parser thread, chunks, COPY into staging; rolled back."""
    with Session(engine) as session, path.open("rb") as stream:
        sql.tune(session)
        sql.create_staging(session)
        names = sql.segments(session, client=client, lock=False)

        def produce(emit: Callable[[Chunk], None]) -> None:
            builder = ChunkBuilder(True, emit)
            for item in ProfileCsv(names).rows(stream):
                builder.add(item)  # type: ignore[arg-type]
            builder.cut()

        with chunks_from_thread(produce, name=PARSER_THREAD) as chunks:
            for chunk in chunks:
                sql.empty_rows(session)  # as the import does: one chunk staged at a time
                copy_rows(session, sql.ROWS, sql.ROW_COLUMNS, chunk.rows)
        session.rollback()


def import_file(engine, path: Path) -> dict[str, object]:
    with session_scope(engine) as session, path.open("rb") as stream:
        result = import_profiles(session, client=CLIENT, stream=stream, now=datetime.now(UTC))
    return result.counts()


def bare_inserts(engine, path: Path, *, client: str = CLIENT) -> float:
    """The same profiles and links by two plain INSERT ... SELECT from a temporary table (staged
    beforehand, not timed) into emptied tables (TRUNCATE); rolled back."""
    with Session(engine) as session:
        session.execute(text("TRUNCATE profile, profile_segment"))  # undone by the rollback below
        sql.tune(session)
        segment_ids = sql.segments(session, client=client, lock=False)
        session.execute(
            text(
                "CREATE TEMP TABLE bare (u text, e text, la float8, lo float8, s integer[]) ON COMMIT DROP; "
                "CREATE TEMP TABLE bare_ids (id integer, u text) ON COMMIT DROP"
            )
        )
        driver = session.connection().connection.driver_connection
        with path.open() as stream, driver.cursor() as cursor:
            next(stream)
            with cursor.copy("COPY bare (u, e, la, lo, s) FROM STDIN") as copy:
                for line in stream:
                    user, email, latitude, longitude, segments = line.rstrip("\n").split(",")
                    ids = ",".join(str(segment_ids[name]) for name in segments.split(";") if name)
                    copy.write_row((user, email, latitude or None, longitude or None, "{" + ids + "}"))
        started = time.perf_counter()
        session.execute(
            text(
                'WITH i AS (INSERT INTO profile (client, "user", email, latitude, longitude, created_at, updated_at) '
                'SELECT :c, u, e, la, lo, now(), now() FROM bare RETURNING id, "user") '
                "INSERT INTO bare_ids SELECT * FROM i"
            ),
            {"c": client},
        )
        session.execute(
            text(
                "INSERT INTO profile_segment (profile_id, segment_id) "
                "SELECT i.id, unnest(b.s) FROM bare_ids i JOIN bare b ON b.u = i.u"
            )
        )
        elapsed = time.perf_counter() - started
        session.rollback()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL", LOCAL))
    args = parser.parse_args()
    rows = args.rows
    with tempfile.TemporaryDirectory() as folder, fresh_postgres_database(args.database_url, "bench_promo") as url:
        first, moved = Path(folder) / "profiles.csv", Path(folder) / "moved.csv"
        links = write_csv(first, rows)
        write_csv(moved, rows, moved=True)
        print(f"{rows:,} profiles, {links:,} links, {first.stat().st_size / 1e6:.0f} MB; load {os.getloadavg()[0]:.1f}")
        upgrade(DEFINITION.migrations, url)
        engine = make_engine(url)
        with session_scope(engine) as session:
            for name in SEGMENTS:
                session.execute(
                    text(
                        "INSERT INTO segment (client, name, description, created_at, updated_at) "
                        "VALUES (:c, :n, '', now(), now())"
                    ),
                    {"c": CLIENT, "n": name},
                )

        def report(label: str, seconds: float, note: str = "") -> None:
            print(f"{label:<44} {seconds:6.2f} s {rows / seconds:>10,.0f} rows/s  {note}")

        report("parse (no database)", timed(lambda: parse_only(first)))
        intake = timed(lambda: parse_and_copy(engine, first))
        report("parse + COPY into staging", intake, "PASS" if rows / intake >= TARGET_INTAKE else "FAIL")
        outcomes: list[dict[str, object]] = []
        report("import, every profile created", timed(lambda: outcomes.append(import_file(engine, first))))
        report("the same file again (nothing changes)", timed(lambda: outcomes.append(import_file(engine, first))))
        report("every profile moved, segments swapped", timed(lambda: outcomes.append(import_file(engine, moved))))
        report("bare: INSERT ... SELECT profiles and links", bare_inserts(engine, first))
        for outcome in outcomes:
            print("  ", {key: outcome[key] for key in ("status", "rows", "created", "replaced", "rejected")})
        print(f"peak resident memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        engine.dispose()


if __name__ == "__main__":
    main()
