"""The documented error answers of the crm routes (problem+json), shared by every router."""

from typing import Annotated, Any

from fastapi import Path

from quintet_shared.errors import documented_problem

Responses = dict[int | str, dict[str, Any]]

UNSIGNED: Responses = {
    401: documented_problem("The request did not come through the gateway, or its signature is invalid or stale")
}
INVALID: Responses = {
    422: documented_problem(
        "A field or parameter is malformed, out of range or refers to nothing of yours (each one named in `errors`)"
    )
}


def unknown(what: str) -> Responses:
    return {404: documented_problem(f"The calling client has no {what} with this id")}


def conflict(description: str) -> Responses:
    return {409: documented_problem(f"{description} (`code` says which)")}


RowId = Annotated[int, Path(description="The row's id (another client's ids are 404)")]
"""Routes declare it as `{id:int}`: a path segment that is not digits matches no route."""
