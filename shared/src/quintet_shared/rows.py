"""Finding a client's own rows, and the error answers when a request names rows it does not own.

An id in the path that the calling client does not own is 404 (another client's row is as unknown
as one that never existed). An id in the body that refers to nothing of the caller's is 422 naming
the field: the request is malformed, the resource it was sent to exists. Every table these serve has
an integer `id` and a `client` column.
"""

from typing import Any, TypeVar

from sqlmodel import Session, SQLModel

from quintet_shared.errors import NotFound, Problem

Row = TypeVar("Row", bound=SQLModel)

MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL; a larger one can name no row


def invalid(field: str, message: str, *, location: str = "body") -> Problem:
    """422 naming one field, in the shape request validation uses (`errors: [{loc, msg}]`)."""
    return Problem(f"{field} {message}.", status=422, errors=[{"loc": [location, field], "msg": message}])


def owned(session: Session, model: type[Row], *, client: str, id: int, max_id: int = MAX_ID) -> Row | None:
    """The caller's row of `model` with this id, or None (never another client's)."""
    if not 1 <= id <= max_id:
        return None
    row = session.get(model, id)
    if row is None or getattr(row, "client", None) != client:
        return None
    return row


def get_owned(session: Session, model: type[Row], *, client: str, id: int, what: str) -> Row:
    """The caller's row, or 404 `<what> <id> was not found.`"""
    row = owned(session, model, client=client, id=id)
    if row is None:
        raise NotFound(f"{what} {id} was not found.")
    return row


def owned_in_body(session: Session, model: type[Row], *, client: str, id: int, field: str, what: str) -> Row:
    """The caller's row named by a body field, or 422 naming that field."""
    row = owned(session, model, client=client, id=id)
    if row is None:
        raise invalid(field, f"is not one of your {what}s (no {what} {id})")
    return row


def apply(row: SQLModel, changes: dict[str, Any]) -> None:
    """Set each changed field on the row (a PATCH's `changes()`)."""
    for name, value in changes.items():
        setattr(row, name, value)
