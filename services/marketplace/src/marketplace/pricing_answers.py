"""The documented error answers of the pricing routes (monitoring, repricing, feed, notifications)."""

from typing import Any

from quintet_shared.errors import documented_problem

Responses = dict[int | str, dict[str, Any]]

UNSIGNED: Responses = {
    401: documented_problem("The request did not come through the gateway, or its signature is invalid or stale")
}
INVALID: Responses = {422: documented_problem("A field is malformed or out of range (each one named in `errors`)")}


def unknown(what: str) -> Responses:
    return {404: documented_problem(f"The calling client has no {what} with this id")}
