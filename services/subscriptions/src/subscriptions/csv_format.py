"""The four CSV kinds a client sends, and their header: which columns each needs.

A header row is required; its names may come in any order, in any case, with spaces around them and
a UTF-8 byte order mark before the first; columns the kind does not use are ignored (the original's
files carry more). A name given twice, or a column the kind needs that is missing, refuses the file.
An addition's plan is `original_sub_plan`, or `service_id` when the file has no `original_sub_plan`.
"""

from dataclasses import dataclass
from enum import StrEnum

from quintet_shared.bulk import FileUnusable

PLAN_COLUMNS = ("original_sub_plan", "service_id")
_BOM = "\ufeff"


class Kind(StrEnum):
    FORECASTS = "forecasts"
    ADDITIONS = "additions"
    CANCELLATIONS = "cancellations"
    UPDATES = "updates"


COLUMNS: dict[Kind, tuple[str, ...]] = {
    Kind.FORECASTS: ("gid", "lat", "lon", "fcat24", "fcat48"),
    Kind.ADDITIONS: ("msisdn", "ts", "lat", "lon", "original_sub_plan"),
    Kind.CANCELLATIONS: ("msisdn", "ts"),
    Kind.UPDATES: ("msisdn", "ts", "lat", "lon"),
}


def header_text(kind: Kind) -> str:
    return ",".join(COLUMNS[kind])


@dataclass(frozen=True)
class Header:
    """Where each column the kind needs is, and how many fields a row has."""

    positions: tuple[int, ...]  # in COLUMNS[kind] order (the plan column for `original_sub_plan`)
    width: int


def parse_header(kind: Kind, names: list[str], line: int) -> Header:
    """The header's positions; FileUnusable naming what is wrong with it."""
    names = [name.strip().lower() for name in names]
    if names:
        names[0] = names[0].removeprefix(_BOM).strip()
    repeated = sorted({name for name in names if names.count(name) > 1 and name})
    if repeated:
        raise FileUnusable(f"line {line}: the header names {', '.join(repeated)} more than once", line=line)
    positions = []
    missing = []
    for column in COLUMNS[kind]:
        found = [column] if column != "original_sub_plan" else [c for c in PLAN_COLUMNS if c in names][:1]
        if not found or found[0] not in names:
            missing.append(column if column != "original_sub_plan" else "original_sub_plan (or service_id)")
            continue
        positions.append(names.index(found[0]))
    if missing:
        raise FileUnusable(
            f"line {line}: the header lacks {', '.join(missing)}; a {kind.value} file's header is "
            f"{header_text(kind)} (any order)",
            line=line,
        )
    return Header(tuple(positions), len(names))
