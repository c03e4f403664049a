"""What every operation of a kit-built app can answer besides its own results, written into its OpenAPI
document, so that /docs (and a client generated from it) is true.

The kit's plumbing answers the same way on every route: problem+json for every error, 422 for a
malformed parameter or a NUL character, 400 and 413 for a body that cannot be read or is too large,
404 where a path names something, 503 when the database is busy, 408 and 431 from the HTTP server's
limits, and 401 on the routes behind the gateway signature. A service declares only its own answers;
this fills in the rest when the document is built.
"""

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI

from quintet_shared.errors import PROBLEM_JSON, PROBLEM_SCHEMA_REF, ProblemDetails

PROBLEM_REF = PROBLEM_SCHEMA_REF
PROBLEM_CONTENT: dict[str, Any] = {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}
# FastAPI's own 422 body; the kit answers 422 with problem+json instead (errors.py).
FASTAPI_VALIDATION_REFS = ("#/components/schemas/HTTPValidationError", "#/components/schemas/ValidationError")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "integer", "minimum": 0}}
}

Operation = dict[str, Any]
Document = dict[str, Any]

EVERY_OPERATION: dict[str, dict[str, Any]] = {
    "408": {"description": "The request's headers or body did not arrive in time (server limit)"},
    "422": {"description": "A parameter or the body is not valid, or holds a NUL character (named in `errors`)"},
    "431": {"description": "The request's headers are too large (server limit)"},
    "503": {"description": "The database is busy; try again after `Retry-After` seconds", "headers": RETRY_AFTER},
}
WITH_BODY: dict[str, dict[str, Any]] = {
    "400": {"description": "The body cannot be read as its content type says (malformed JSON or multipart)"},
    "413": {"description": "The body is larger than MAX_BODY_BYTES"},
}
WITH_PATH_PARAMETER: dict[str, dict[str, Any]] = {
    "404": {"description": "Nothing the calling client may see is found at this path"},
}
SIGNED: dict[str, dict[str, Any]] = {
    "401": {"description": "The request did not come through the gateway, or its signature is invalid or stale"},
}


def operations(document: Document) -> Iterator[tuple[str, str, Operation]]:
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def add_answer(operation: Operation, status: str, answer: dict[str, Any], *, also: bool = False) -> None:
    """Declares `answer` for `status`. Where the operation already describes that status, its own
    description stays (it is more precise), or with `also` the two are joined, `answer`'s first
    (another layer, in front, answers the same status for another reason); headers are merged."""
    responses = operation.setdefault("responses", {})
    existing = responses.get(status)
    if existing is None:
        responses[status] = {**answer, "content": answer.get("content", PROBLEM_CONTENT)}
        return
    if also and answer["description"] not in existing.get("description", ""):
        # The layer in front (the gateway) answers first, so its reason comes first.
        own = existing.get("description")
        existing["description"] = f"{answer['description']}; or: {own}" if own else answer["description"]
    if "headers" in answer:
        existing["headers"] = {**existing.get("headers", {}), **answer["headers"]}


def _is_problem(response: dict[str, Any]) -> bool:
    content = response.get("content")
    if not content or PROBLEM_JSON in content:
        return True
    schema = content.get("application/json", {}).get("schema", {})
    return set(content) == {"application/json"} and schema.get("$ref") in (PROBLEM_REF, *FASTAPI_VALIDATION_REFS)


def problem_content_everywhere(document: Document) -> None:
    """Every error answer is declared as problem+json, the one body the kit sends for errors, unless
    a route declared another body on purpose (readings v2 keeps its original error envelope)."""
    for _path, _method, operation in operations(document):
        for status, response in operation.get("responses", {}).items():
            if status[0] in "45" and _is_problem(response):
                response["content"] = PROBLEM_CONTENT


def _has_path_parameter(path: str, operation: Operation) -> bool:
    return "{" in path or any(p.get("in") == "path" for p in operation.get("parameters", []))


def declare_common_answers(document: Document, *, signed_prefix: str | None = None) -> Document:
    """`document` (changed in place) with the answers of the kit's plumbing on every operation;
    operations under `signed_prefix` also answer 401 for a missing or wrong gateway signature."""
    for path, _method, operation in operations(document):
        answers = dict(EVERY_OPERATION)
        if "requestBody" in operation:
            answers.update(WITH_BODY)
        if _has_path_parameter(path, operation):
            answers.update(WITH_PATH_PARAMETER)
        if signed_prefix is not None and (path == signed_prefix or path.startswith(signed_prefix + "/")):
            answers.update(SIGNED)
        for status, answer in answers.items():
            add_answer(operation, status, answer)
    problem_content_everywhere(document)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ProblemDetails", ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}"))
    encoded = repr(document["paths"])
    for ref in FASTAPI_VALIDATION_REFS:  # no longer referenced: every 422 is problem+json now
        if ref not in encoded:
            schemas.pop(ref.rsplit("/", 1)[1], None)
    for _path, _method, operation in operations(document):
        operation["responses"] = dict(sorted(operation["responses"].items()))
    return document


def install_documented_answers(app: FastAPI, *, signed_prefix: str | None = None) -> None:
    """`app.openapi()` declares the kit's answers on every operation (built once, like FastAPI's)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_common_answers(generate(), signed_prefix=signed_prefix)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
