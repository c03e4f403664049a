"""Good rows of a CSV (csv_reader.py) into chunks for the staging table, formatted for the database.

A chunk holds one row per gid or msisdn, the one that applying the rows one by one in file order
would leave in force (`_wins`): the last row of a gid, the first addition or cancellation of an
msisdn, its update of the latest `ts`; each other row counts in `repeated`. Rows of a later chunk land
after (csv_landing.py compares their times with what is stored), to the same effect. Additions and updates get
their nearest forecast point here, a chunk per KD-tree query (nearest.PointIndex).

PostgreSQL takes COPY text (times in UTC, `+00`); SQLite parameter tuples, times written as
SQLAlchemy writes them there (`YYYY-MM-DD HH:MM:SS.ffffff`), so that they compare as text.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from quintet_shared.bulk import COPY_NULL, copy_text
from subscriptions.csv_format import Kind
from subscriptions.csv_reader import Row
from subscriptions.nearest import PointIndex


@dataclass
class Chunk:
    rows: Any  # COPY text (PostgreSQL) or a list of parameter tuples (SQLite); None once staged
    first: int  # its lines
    last: int
    size: int  # rows: one per gid or msisdn


@dataclass
class ChunkBuilder:
    kind: Kind
    postgres: bool
    points: PointIndex | None  # additions and updates: the client's forecast points
    emit: Callable[[Chunk], None]
    limit: int
    good: int = 0  # good rows added
    repeated: int = 0  # of which, replaced by a later row of the same chunk
    rows: dict[str, Row] = field(default_factory=dict)
    first: int = 0
    last: int = 0

    def add(self, row: Row) -> None:
        if len(self.rows) >= self.limit:
            self.cut()
        rows = self.rows
        if not rows:
            self.first = row[0]
        self.last = row[0]
        self.good += 1
        key = row[1]
        held = rows.get(key)
        if held is None:
            rows[key] = row
            return
        self.repeated += 1
        if self._wins(row, held):
            rows[key] = row

    def _wins(self, row: Row, held: Row) -> bool:
        """Whether a later row of the same gid or msisdn replaces the one held, as applying the rows
        one by one in file order would decide (and as chunks landing one after the other do)."""
        if self.kind is Kind.FORECASTS:
            return True  # each row replaces the point
        if self.kind is Kind.UPDATES:
            return bool(row[2] >= held[2])  # the latest location wins, wherever it is in the file
        return False  # the first addition subscribes (later ones find it subscribed); the first cancellation cancels

    def cut(self) -> None:
        if self.rows:
            rows = list(self.rows.values())
            self.emit(Chunk(self._formatted(rows), self.first, self.last, len(rows)))
            self.rows = {}

    def _formatted(self, rows: list[Row]) -> Any:
        postgres, kind = self.postgres, self.kind
        if kind is Kind.FORECASTS:  # line, key, at, gid, lat_text, lon_text, lat, lon, fcat24, fcat48
            if postgres:
                return "".join(
                    f"{r[0]}\t{copy_text(r[3])}\t{r[4]}\t{r[5]}\t{copy_text(r[8])}\t{copy_text(r[9])}\n" for r in rows
                )
            return [(r[0], r[3], r[6], r[7], r[8], r[9]) for r in rows]
        if kind is Kind.CANCELLATIONS:  # line, msisdn, at
            if postgres:
                return "".join(f"{r[0]}\t{r[1]}\t{r[2]}+00\n" for r in rows)
            return [(r[0], r[1], r[2] + ".000000") for r in rows]
        # additions: line, msisdn, at, lat_text, lon_text, lat, lon, plan, local date; updates: up to lon
        ids = self._nearest(rows)
        if kind is Kind.ADDITIONS:
            if postgres:
                return "".join(
                    f"{r[0]}\t{r[1]}\t{r[2]}+00\t{r[8]}\t{r[3]}\t{r[4]}\t{r[7]}\t{COPY_NULL if p is None else p}\n"
                    for r, p in zip(rows, ids, strict=True)
                )
            return [(r[0], r[1], r[2] + ".000000", r[8], r[5], r[6], r[7], p) for r, p in zip(rows, ids, strict=True)]
        if postgres:
            return "".join(
                f"{r[0]}\t{r[1]}\t{r[2]}+00\t{r[3]}\t{r[4]}\t{COPY_NULL if p is None else p}\n"
                for r, p in zip(rows, ids, strict=True)
            )
        return [(r[0], r[1], r[2] + ".000000", r[5], r[6], p) for r, p in zip(rows, ids, strict=True)]

    def _nearest(self, rows: list[Row]) -> list[int | None]:
        assert self.points is not None
        return self.points.nearest_ids([r[5] for r in rows], [r[6] for r in rows])
