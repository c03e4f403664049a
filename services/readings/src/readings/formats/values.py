"""Meter values: exact decimals that fit the readings column, Numeric(16, 4).

A value keeps the text it was written with (no float ever touches it). Too many decimals is an
error rather than a silent rounding; trailing zeros beyond the fourth decimal change nothing and
are accepted.
"""

from decimal import Decimal

MAX_INTEGER_DIGITS = 12
MAX_DECIMALS = 4
_FOUR_DECIMALS = Decimal(1).scaleb(-MAX_DECIMALS)


def decimal_problem(text: str) -> str | None:
    """Why `text` is not a plain decimal (optional minus, digits, optional fraction) that fits."""
    body = text[1:] if text.startswith("-") else text
    whole, dot, fraction = body.partition(".")
    if not _digits(whole) or (dot and not _digits(fraction)):
        return f"value {text!r} is not a number"
    if len(whole.lstrip("0")) > MAX_INTEGER_DIGITS:
        return _out_of_range(text)
    if len(fraction.rstrip("0")) > MAX_DECIMALS:
        return f"value {text} has more than {MAX_DECIMALS} decimals"
    return None


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def json_number(number: object) -> tuple[str, None] | tuple[None, str]:
    """(exact decimal text, None) for a JSON number that fits, else (None, why not)."""
    if isinstance(number, bool) or not isinstance(number, int | Decimal):
        return None, "value must be a JSON number"
    if isinstance(number, int):
        if abs(number) >= 10**MAX_INTEGER_DIGITS:
            return None, _out_of_range(number)
        return str(number), None
    if not number.is_finite():
        return None, "value must be a finite number"
    # Check the magnitude before formatting: 1e999999 written out in full would take a megabyte.
    if number.adjusted() >= MAX_INTEGER_DIGITS:
        return None, _out_of_range(number)
    _sign, digits, exponent = number.as_tuple()
    if int(exponent) < -MAX_DECIMALS:
        # Only zeros past the fourth decimal is the same number, not a rounding: keep four decimals
        # (done without the decimal context, whose limits would round or clamp a huge exponent).
        trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
        if any(digits) and int(exponent) + trailing_zeros < -MAX_DECIMALS:
            return None, f"value {number} has more than {MAX_DECIMALS} decimals"
        number = number.quantize(_FOUR_DECIMALS)
    return format(number, "f"), None


def _out_of_range(number: object) -> str:
    return f"value {number} is out of range (at most {MAX_INTEGER_DIGITS} digits before the decimal point)"
