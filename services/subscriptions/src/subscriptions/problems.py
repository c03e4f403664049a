"""The subscriptions service's error answers, one shape each (as promotions'): a row of another client
is 404, a malformed field 422 naming it, a state that forbids the change 409 with a `code`."""

from typing import Any

from sqlmodel import SQLModel

from quintet_shared.errors import Conflict, Problem


def invalid(field: str, message: str, *, location: str = "body") -> Problem:
    """422 naming one field, in the shape request validation uses (`errors: [{loc, msg}]`)."""
    return Problem(f"{field} {message}.", status=422, errors=[{"loc": [location, field], "msg": message}])


def conflict(detail: str, code: str) -> Conflict:
    return Conflict(detail, code=code)


def apply(row: SQLModel, changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        setattr(row, name, value)
