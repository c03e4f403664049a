"""What the gateway itself answers on every service route, declared in the merged document.

A service's own document says what the service answers (the kit fills in its plumbing's answers,
quintet_shared.openapi_answers); only the gateway knows of app ids, grants, rate limits and upstream
failures, so it adds those when it merges the documents.
"""

from typing import Any

from quintet_shared.openapi_answers import RETRY_AFTER, Document, add_answer, operations

RETRY_AFTER_ALWAYS = {"Retry-After": {**RETRY_AFTER["Retry-After"], "required": True}}

GATEWAY_ANSWERS: dict[str, dict[str, Any]] = {
    "400": {"description": "More than one `X-App-Id` header"},
    "401": {"description": "`X-App-Id` is missing, unknown or disabled"},
    "403": {"description": "The calling client is not granted this service"},
    "429": {
        "description": "The client's rate limit is reached; retry after `Retry-After` seconds",
        "headers": RETRY_AFTER_ALWAYS,
    },
    "502": {"description": "The gateway could not reach the service"},
    "503": {
        "description": "Every connection to the service is busy; retry after `Retry-After` seconds",
        "headers": RETRY_AFTER,
    },
    "504": {"description": "The service did not answer within GATEWAY_TIMEOUT_SECONDS"},
}
# On a public path (ARCHITECTURE.md §11) no app id is read: no 400, 401 or 403 from the gateway.
PUBLIC_ANSWERS: dict[str, dict[str, Any]] = {
    **{status: GATEWAY_ANSWERS[status] for status in ("502", "503", "504")},
    "429": {
        "description": "The caller's address has reached GATEWAY_PUBLIC_RATE_LIMIT_PER_MINUTE; retry after "
        "`Retry-After` seconds",
        "headers": RETRY_AFTER_ALWAYS,
    },
}
CLIENT_SCHEMAS = ("ClientCreate", "ClientUpdate")


def is_public(service: str, path: str) -> bool:
    return path.startswith(f"/{service}/public/")


def declare_gateway_answers(service: str, paths: dict[str, Any]) -> dict[str, Any]:
    """`paths` of `service` (changed in place), each operation behind the app id with the gateway's
    answers beside the service's; a public path's without the app id and its answers."""
    for path, _method, operation in operations({"paths": paths}):
        public = is_public(service, path)
        if public:
            operation["security"] = []  # explicitly none: the caller authenticates to the service itself
        else:
            operation.setdefault("security", [{"AppId": []}])
        for status, answer in (PUBLIC_ANSWERS if public else GATEWAY_ANSWERS).items():
            add_answer(operation, status, answer, also=True)
        operation["responses"] = dict(sorted(operation["responses"].items()))
    return paths


def name_the_services(document: Document, services: list[str]) -> None:
    """The admin API's `services` fields list the services this gateway routes (any other is refused
    with 422), so that the document says which names are valid."""
    schemas = document.get("components", {}).get("schemas", {})
    for name in CLIENT_SCHEMAS:
        field = schemas.get(name, {}).get("properties", {}).get("services")
        for array in _string_arrays(field):
            array["items"] = {**array["items"], "enum": sorted(services)}


def _string_arrays(node: Any) -> list[dict[str, Any]]:
    if not isinstance(node, dict):
        return []
    if node.get("type") == "array" and node.get("items", {}).get("type") == "string":
        return [node]
    return [found for option in node.get("anyOf", []) for found in _string_arrays(option)]
