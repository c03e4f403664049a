"""The crm service's error answers, one shape each.

An id in the path that the calling client does not own is 404 (another client's row is as unknown as
one that never existed). An id in the body that refers to nothing of the caller's is 422 naming the
field: the request is malformed, the resource it was sent to exists. A state that forbids the change
(a duplicate email, a restaurant that still has customers) is 409 with a machine-readable `code`.
"""

from typing import Any, TypeVar

from sqlmodel import Session, SQLModel

from crm.schemas import MAX_ID
from quintet_shared.errors import Conflict, NotFound, Problem

Row = TypeVar("Row", bound=SQLModel)


def invalid(field: str, message: str, *, location: str = "body") -> Problem:
    """422 naming one field, in the shape request validation uses (`errors: [{loc, msg}]`)."""
    return Problem(f"{field} {message}.", status=422, errors=[{"loc": [location, field], "msg": message}])


def conflict(detail: str, code: str) -> Conflict:
    return Conflict(detail, code=code)


def owned(session: Session, model: type[Row], *, client: str, id: int, lock: bool = False) -> Row | None:
    """The caller's row of `model` with this id, or None (never another client's)."""
    if not 1 <= id <= MAX_ID:
        return None
    row = session.get(model, id, with_for_update=lock)
    if row is None or row.client != client:  # type: ignore[attr-defined]
        return None
    return row


def get_owned(session: Session, model: type[Row], *, client: str, id: int, what: str) -> Row:
    row = owned(session, model, client=client, id=id)
    if row is None:
        raise NotFound(f"{what} {id} was not found.")
    return row


def owned_in_body(session: Session, model: type[Row], *, client: str, id: int, field: str, what: str) -> Row:
    row = owned(session, model, client=client, id=id)
    if row is None:
        raise invalid(field, f"is not one of your {what}s (no {what} {id})")
    return row


def apply(row: SQLModel, changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        setattr(row, name, value)
