"""Reading the offers API's answers: whole tenge become cents; any other shape fails the product."""

from typing import Any

import pytest

from marketplace.offers_client import OffersError, _read, _retry_after
from marketplace.repricing import Offer


def test_an_answer_becomes_offers_in_cents_and_its_total() -> None:
    answer = {
        "offers": [{"merchantId": "30001", "merchantName": "Shop", "price": 1990, "kaspiDelivery": True}],
        "total": 7,
    }
    assert _read(answer) == ([Offer("30001", "Shop", 199_000)], 7)


def test_a_numeric_merchant_id_is_a_string_and_a_missing_total_counts_the_page() -> None:
    assert _read({"offers": [{"merchantId": 5, "price": 10}]}) == ([Offer("5", "", 1000)], 1)


@pytest.mark.parametrize(
    "answer",
    [
        "not json",
        {"offers": "x"},
        {"offers": [{"merchantId": "A"}]},
        {"offers": [{"merchantId": "A", "price": -1}]},
        {"offers": [{"merchantId": "A", "price": True}]},
        {"offers": [{"price": 10}]},
        {"offers": [], "total": -1},
        {"offers": [], "total": "3"},
        {"offers": ["A"]},
    ],
)
def test_a_malformed_answer_fails_the_product(answer: Any) -> None:
    with pytest.raises(OffersError):
        _read(answer)


@pytest.mark.parametrize(("header", "seconds"), [("3", 3.0), (None, 1.0), ("soon", 1.0), ("-5", 0.0), ("9999", 60.0)])
def test_retry_after_is_read_and_bounded(header: str | None, seconds: float) -> None:
    assert _retry_after(header) == seconds
