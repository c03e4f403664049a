"""The product file, CSV or XLSX, read as rows of product fields: one product a row.

- The first row is the header: column names from COLUMNS, in any order (case and spaces around them
  do not matter, nor a UTF-8 byte order mark); `sku`, `name` and `price_cents` are required. An
  unknown, repeated or missing required column refuses the file as a whole (FileUnusable: the
  columns are not the ones meant, and no row can be trusted).
- Every other row is one product, checked as `POST /marketplace/products` checks its body
  (schemas_catalogue.ProductFields): integers in cents, min ≤ max, a price above zero. An empty cell
  takes the field's default (min and max: the price; step: 100; repricing: false). `repricing` is
  true/false, yes/no or 1/0. Fully empty rows are skipped.
- CSV: UTF-8, comma-separated, LF or CRLF, RFC 4180 quotes within one line; a line longer than
  MAX_LINE_BYTES, not UTF-8 or holding NUL is a row error.
- XLSX: the first worksheet; numbers may be number cells (integral) or text. A file that is not an
  XLSX workbook (a zip of its parts) is refused as a whole with the reason.

A bad row is a `LineError` with its line (the sheet's row number for XLSX); the file goes on, up to
the kit's error cap. At most MAX_ROWS data rows are read: a larger file is refused (a catalogue is
far smaller; a decompressed XLSX could otherwise be any size).
"""

import csv
import zipfile
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

from pydantic import ValidationError

from marketplace.products import bounds_problem
from marketplace.schemas_catalogue import ProductFields
from quintet_shared.bounded import line_blocks, too_long_message
from quintet_shared.bulk import FileUnusable, LineError

COLUMNS = (
    "sku",
    "name",
    "category",
    "marketplace_product_id",
    "price_cents",
    "min_price_cents",
    "max_price_cents",
    "step_cents",
    "repricing",
)
REQUIRED = ("sku", "name", "price_cents")
INTEGER_COLUMNS = frozenset({"price_cents", "min_price_cents", "max_price_cents", "step_cents"})
MAX_ROWS = 500_000
MAX_LINE_BYTES = 16 * 1024
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})

ProductRow = tuple[int, dict[str, Any]]  # (line, the fields as ProductFields dumps them)


def rows(reader: BinaryIO, file_format: str) -> Iterator[ProductRow | LineError]:
    """Rows and row errors in file order; FileUnusable for a file that cannot be read as a whole."""
    cells = _xlsx_cells(reader) if file_format == "xlsx" else _csv_cells(reader)
    header: list[str] | None = None
    count = 0
    for line, values in cells:
        if header is None:
            header = _header(line, values)
            continue
        if isinstance(values, LineError):
            yield values
            continue
        if all(value is None or str(value).strip() == "" for value in values):
            continue
        count += 1
        if count > MAX_ROWS:
            raise FileUnusable(f"the file has more than {MAX_ROWS} products; split it", line=line)
        yield _row(line, header, values)
    if header is None:
        raise FileUnusable(f"the file is empty: its first row must be the header ({','.join(COLUMNS)})")


def _header(line: int, values: "Sequence[Any] | LineError") -> list[str]:
    if isinstance(values, LineError):
        raise FileUnusable(f"line {line} must be the header: {values.message}", line=line)
    names = [str(value if value is not None else "").strip().lower().removeprefix("\ufeff") for value in values]
    while names and not names[-1]:  # spreadsheets often carry empty trailing cells
        names.pop()
    if not names:
        raise FileUnusable(f"line {line} is empty: it must be the header ({','.join(COLUMNS)})", line=line)
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        shown = ", ".join(repr(name[:50]) for name in unknown[:5])
        raise FileUnusable(f"unknown column {shown}: the columns are {','.join(COLUMNS)}", line=line)
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise FileUnusable(f"column {', '.join(repeated)} is named twice", line=line)
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise FileUnusable(f"the header lacks the required column {', '.join(missing)}", line=line)
    return names


def _row(line: int, header: list[str], values: Sequence[Any]) -> ProductRow | LineError:
    if any(value not in (None, "") for value in values[len(header) :]):
        return LineError(line, f"the row has more cells than the header's {len(header)} columns")
    fields: dict[str, Any] = {}
    for name, value in zip(header, values, strict=False):
        converted = _cell(name, value)
        if isinstance(converted, str) and name in INTEGER_COLUMNS | {"repricing"}:
            return LineError(line, converted)
        if converted is not None:
            fields[name] = converted
    try:
        product = ProductFields.model_validate(fields).model_dump()
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return LineError(line, f"{where}: {first['msg']}" if where else first["msg"])
    product["min_price_cents"] = product["min_price_cents"] or product["price_cents"]
    product["max_price_cents"] = product["max_price_cents"] or product["price_cents"]
    problem = bounds_problem(product)
    return LineError(line, problem) if problem else (line, product)


def _cell(name: str, value: Any) -> Any:
    """The cell as the field's type; None for empty; for integers and booleans a str is why not."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if name in INTEGER_COLUMNS:
        return _integer(name, value)
    if name == "repricing":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        return (
            True
            if text in _TRUE
            else False
            if text in _FALSE
            else f"repricing: {str(value)[:20]!r} is not true or false"
        )
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an id typed into a number cell
    return str(value).strip()


def _integer(name: str, value: Any) -> int | str:
    if isinstance(value, bool):
        return f"{name}: must be an integer number of cents"
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else f"{name}: {value} is not a whole number of cents"
    text = str(value).strip()
    digits = text.removeprefix("-")
    if not digits.isascii() or not digits.isdigit() or len(digits) > 18:
        return f"{name}: {text[:20]!r} is not an integer number of cents"
    return int(text)


def _csv_cells(reader: BinaryIO) -> Iterator[tuple[int, "list[str] | LineError"]]:
    number = 0
    for lines in line_blocks(reader, MAX_LINE_BYTES):
        for raw in lines:
            number += 1
            yield number, _csv_line(number, raw)


def _csv_line(number: int, raw: bytes) -> "list[str] | LineError":
    if raw.startswith(b"\n"):  # quintet_shared.bounded's mark of a cut line
        return LineError(number, too_long_message(MAX_LINE_BYTES))
    try:
        text = raw.decode()
    except UnicodeDecodeError as error:
        return LineError(number, f"not UTF-8 text (byte {error.start + 1} of the line)")
    if "\x00" in text:
        return LineError(number, "NUL characters are not accepted")
    try:
        return next(csv.reader((text,), strict=True), [])
    except csv.Error as error:
        return LineError(number, f"malformed CSV: {error}")


def _xlsx_cells(reader: BinaryIO) -> Iterator[tuple[int, "Sequence[Any] | LineError"]]:
    # Imported here: a CSV import never pays for openpyxl's import.
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(reader, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as error:
        raise FileUnusable(f"not an XLSX workbook ({type(error).__name__}: {str(error)[:200]})") from error
    except Exception as error:  # openpyxl's own errors for a zip that is not a workbook
        raise FileUnusable(f"not a readable XLSX workbook ({type(error).__name__}: {str(error)[:200]})") from error
    try:
        sheet = workbook.worksheets[0]
        width = 64  # cells beyond are never read: a header that wide is refused anyway
        yield from enumerate(sheet.iter_rows(max_col=width, values_only=True), start=1)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as error:
        raise FileUnusable(f"the XLSX workbook is damaged ({type(error).__name__}: {str(error)[:200]})") from error
    finally:
        workbook.close()
