"""quintet_shared.instants: date-times from outside are validated into range, never an OverflowError."""

from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, ValidationError

from quintet_shared.errors import Problem
from quintet_shared.instants import Instant, require_within


class Body(BaseModel):
    at: Instant


@pytest.mark.parametrize(
    "text", ["0001-01-01T00:00:00+09:00", "9999-12-31T23:59:59-09:00", "9999-12-31T23:59:59-14:00"]
)
def test_an_instant_without_a_utc_date_time_is_a_validation_error_naming_the_field(text: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Body(at=text)  # type: ignore[arg-type]
    (error,) = raised.value.errors()
    assert error["loc"] == ("at",) and "out of range" in error["msg"]


def test_an_instant_is_delivered_in_utc() -> None:
    assert Body(at="2023-11-02T09:00:00+09:00").at == datetime(2023, 11, 2, tzinfo=UTC)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Body(at="2023-11-02T09:00:00")  # type: ignore[arg-type]


def test_arithmetic_room_is_required_near_the_ends() -> None:
    require_within(datetime(2023, 1, 1, tzinfo=UTC), field="from")
    with pytest.raises(Problem) as raised:
        require_within(datetime(1, 1, 1, tzinfo=UTC), field="from")
    assert raised.value.status == 422 and raised.value.errors[0]["loc"] == ["query", "from"]
