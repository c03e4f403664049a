"""Meter values are exact decimals that fit Numeric(16, 4): never rounded, never floats."""

from decimal import Decimal

import pytest

from readings.formats.values import decimal_problem, json_number


@pytest.mark.parametrize("text", ["0", "0.03", "20131.0", "999999999999.9999", "-1.5", "1.23450", "000000000000001"])
def test_plain_decimals_fit(text: str) -> None:
    assert decimal_problem(text) is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "not a number"), ("abc", "not a number"), (".5", "not a number"), ("5.", "not a number"),
     ("1e3", "not a number"), ("٣", "not a number"), ("1234567890123", "out of range"), ("0.00001", "more than 4")],
)  # fmt: skip
def test_refused_texts(text: str, reason: str) -> None:
    assert reason in (decimal_problem(text) or "")


@pytest.mark.parametrize(
    ("number", "text"),
    [(Decimal("102.2"), "102.2"), (Decimal("1E+3"), "1000"), (Decimal("0.10000"), "0.1000"), (7, "7"),
     (Decimal("0E-99999999"), "0.0000")],
)  # fmt: skip
def test_json_numbers_keep_their_exact_text(number: object, text: str) -> None:
    assert json_number(number) == (text, None)


@pytest.mark.parametrize(
    ("number", "reason"),
    [(Decimal("1E+12"), "out of range"), (10**12, "out of range"), (Decimal("1E-99999999"), "more than 4 decimals"),
     (True, "must be a JSON number"), ("1.5", "must be a JSON number"), (Decimal("NaN"), "finite")],
)  # fmt: skip
def test_refused_json_numbers(number: object, reason: str) -> None:
    text, problem = json_number(number)
    assert text is None and reason in (problem or "")
