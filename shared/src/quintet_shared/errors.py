"""RFC 9457 problem+json for every error path, so no client ever sees a stack trace or a bare 500."""

import logging
import sqlite3
from http import HTTPStatus
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from quintet_shared.allow import allowed_methods
from quintet_shared.busy import BUSY_DETAIL, RETRY_AFTER_SECONDS, is_busy
from quintet_shared.logs import request_id_var

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_SCHEMA_REF = "#/components/schemas/ProblemDetails"


class ProblemDetails(BaseModel):
    """The problem+json body (RFC 9457), as /docs should show it."""

    type: str
    title: str
    status: int
    detail: str
    request_id: str | None = None
    code: str | None = None  # machine-readable reason, where callers must tell conflicts apart
    errors: list[dict[str, Any]] | None = None


def documented_problem(description: str) -> dict[str, Any]:
    """A route's `responses` entry for an error answered with problem+json. No `model`: FastAPI would
    declare it as application/json too; the kit's document adds the ProblemDetails schema
    (openapi_answers.py)."""
    return {"description": description, "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}}}


class Problem(Exception):
    """A domain error a use case raises; the HTTP layer turns it into problem+json. `code` is a
    machine-readable reason (`sold_out`, `duplicate_name`) for callers that act on which one it is."""

    status: int = 400
    title: str | None = None

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        errors: list[dict[str, Any]] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.code = code
        if status is not None:
            self.status = status


class NotFound(Problem):
    status = 404


class Conflict(Problem):
    status = 409


def problem_body(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    code: str | None = None,
) -> dict[str, Any]:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or phrase,
        "status": status,
        "detail": detail,
        "request_id": request_id_var.get(),
    }
    if code:
        body["code"] = code
    if errors:
        body["errors"] = errors
    return body


def problem_response(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    code: str | None = None,
) -> JSONResponse:
    return JSONResponse(
        problem_body(status, detail, title=title, errors=errors, code=code),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": [str(part) for part in error.get("loc", ())], "msg": error.get("msg", "")} for error in exc.errors()
    ]


async def _on_problem(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(exc.status, exc.detail, title=exc.title, errors=exc.errors, code=exc.code)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405:  # Starlette's Allow names one route's methods only
        headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
    return problem_response(exc.status_code, str(exc.detail), headers=headers)


async def _on_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem_response(422, "The request is not valid.", errors=_field_errors(exc))


async def _on_data_error(_request: Request, exc: Exception) -> JSONResponse:
    # The database refused a value (a NUL byte, an out-of-range number): bad input, not our failure.
    log.info("database refused a value: %s", exc.__class__.__name__)
    return problem_response(422, "A value could not be stored (out of range or containing forbidden characters).")


async def _on_integrity_error(_request: Request, _exc: Exception) -> JSONResponse:
    return problem_response(409, "The request conflicts with existing data.")


async def _on_database_error(request: Request, exc: Exception) -> JSONResponse:
    # A busy database (locked, lock timeout, too many connections, restarting) is a moment's
    # wait for the caller, not our failure: 503 and when to come back.
    if is_busy(exc):
        log.warning("database busy: %s", exc.__class__.__name__, extra={"error": str(exc)[:200]})
        return busy_response()
    return await _on_unexpected(request, exc)


def busy_response() -> JSONResponse:
    return problem_response(503, BUSY_DETAIL, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


async def _on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return problem_response(500, "An unexpected error occurred; it has been logged.")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(DataError, _on_data_error)
    app.add_exception_handler(ValueError, _on_data_error_if_nul)
    app.add_exception_handler(OverflowError, _on_data_error)  # SQLite: an integer beyond 64 bits
    app.add_exception_handler(IntegrityError, _on_integrity_error)
    app.add_exception_handler(ClientDisconnect, _on_client_gone)
    # Busy or failing databases; DataError and IntegrityError above are more specific and win.
    for database_error in (DBAPIError, PoolTimeout, sqlite3.OperationalError, psycopg.OperationalError):
        app.add_exception_handler(database_error, _on_database_error)
    app.add_exception_handler(Exception, _on_unexpected)


async def _on_client_gone(_request: Request, _exc: Exception) -> JSONResponse:
    # The client hung up, or the server gave up on a body that stopped arriving (408, http_limits):
    # nobody reads this answer, and it is not an error of ours to log with a stack trace.
    log.info("the client went away before its request body arrived")
    return problem_response(400, "The request body did not arrive.")


async def _on_data_error_if_nul(request: Request, exc: Exception) -> JSONResponse:
    # psycopg refuses NUL characters with a ValueError before the query reaches the server.
    if "NUL" in str(exc):
        return await _on_data_error(request, exc)
    return await _on_unexpected(request, exc)
