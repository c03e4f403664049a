"""One OpenAPI document for the whole platform: every service's, merged, plus the gateway's own.

Merging is prefix-safe: a component name two documents define differently is renamed after its
service in that service's document (`readings_Page`), with every reference rewritten to match.
"""

import asyncio
import copy
import json
import time
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from gateway.openapi_answers import declare_gateway_answers, name_the_services
from gateway.state import GatewayState

GATEWAY = "gateway"
APP_ID_SCHEME = {
    "type": "apiKey",
    "in": "header",
    "name": "X-App-Id",
    "description": "The client's app id, as issued by the gateway's admin API",
}

Document = dict[str, Any]


def own_paths(service: str, paths: Mapping[str, Any]) -> dict[str, Any]:
    """Only what the gateway routes (`/<service>/...`) is reachable through it."""
    prefix = f"/{service}"
    return {path: item for path, item in paths.items() if path == prefix or path.startswith(prefix + "/")}


def colliding_names(documents: Mapping[str, Document]) -> dict[str, set[str]]:
    """Per components section, the names that at least two documents define differently, and the
    names two documents share that refer to one of those (a `Page[ProductPublic]` written alike by
    two services means two things once each one's `ProductPublic` is renamed)."""
    seen: dict[tuple[str, str], str] = {}
    shared: set[tuple[str, str]] = set()
    collisions: dict[str, set[str]] = {}
    for document in documents.values():
        for section, entries in document.get("components", {}).items():
            for name, definition in entries.items():
                encoded = json.dumps(definition, sort_keys=True)
                previous = seen.setdefault((section, name), encoded)
                if previous is not encoded:
                    shared.add((section, name))
                if previous != encoded:
                    collisions.setdefault(section, set()).add(name)
    while True:
        refs = {f'"#/components/{section}/{name}"' for section, names in collisions.items() for name in names}
        follows = {
            (section, name)
            for section, name in shared
            if name not in collisions.get(section, set()) and any(ref in seen[(section, name)] for ref in refs)
        }
        if not follows:
            return collisions
        for section, name in follows:
            collisions.setdefault(section, set()).add(name)


def _rewrite_refs(node: Any, renames: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref in renames:
            node = {**node, "$ref": renames[ref]}
        return {key: _rewrite_refs(value, renames) for key, value in node.items()}
    if isinstance(node, list):
        return [_rewrite_refs(item, renames) for item in node]
    return node


def prefixed(source: str, document: Document, collisions: Mapping[str, set[str]]) -> Document:
    """`document` with its colliding component names prefixed by `source`."""
    refs: dict[str, str] = {}
    components: dict[str, dict[str, Any]] = {}
    for section, entries in document.get("components", {}).items():
        clashing = collisions.get(section, set())
        components[section] = {}
        for name, definition in entries.items():
            new_name = f"{source}_{name}" if name in clashing else name
            components[section][new_name] = definition
            if new_name != name:
                refs[f"#/components/{section}/{name}"] = f"#/components/{section}/{new_name}"
    result = {**document, "components": components}
    return _rewrite_refs(result, refs) if refs else result


def merge(gateway: Document, services: Mapping[str, Document], unavailable: Mapping[str, str]) -> Document:
    """The union of the gateway's document and each service's (its own prefix only)."""
    gateway = copy.deepcopy(gateway)
    sources: dict[str, Document] = {GATEWAY: gateway}
    for name, document in services.items():
        sources[name] = {
            **document,
            "paths": declare_gateway_answers(name, copy.deepcopy(own_paths(name, document.get("paths", {})))),
        }
    name_the_services(gateway, sorted({*services, *unavailable}))
    collisions = colliding_names(sources)
    paths: dict[str, Any] = {}
    components: dict[str, dict[str, Any]] = {"securitySchemes": {"AppId": APP_ID_SCHEME}}
    tags: dict[str, Any] = {}
    for source, document in sources.items():
        document = prefixed(source, document, collisions)
        for path, item in document.get("paths", {}).items():
            paths.setdefault(path, {}).update(item)
        for section, entries in document.get("components", {}).items():
            components.setdefault(section, {}).update(entries)
        for tag in document.get("tags", []):
            tags.setdefault(tag["name"], tag)
    return {
        "openapi": gateway.get("openapi", "3.1.0"),
        "info": {"title": "Quintet API", "version": "1.0.0", "description": _description(services, unavailable)},
        "paths": paths,
        "components": components,
        "tags": list(tags.values()),
    }


def _description(services: Mapping[str, Document], unavailable: Mapping[str, str]) -> str:
    text = (
        "Every Quintet service behind one gateway. Send your app id in the `X-App-Id` header. "
        "Paths under `/<service>/public/` (callbacks, feeds) take none: their callers authenticate to "
        "the service itself, with a secret token in the path or a signature."
    )
    if services:
        text += f"\n\nIncluded: {', '.join(sorted(services))}."
    if unavailable:
        missing = "; ".join(f"{name} ({reason})" for name, reason in sorted(unavailable.items()))
        text += f"\n\n**Left out because they did not answer:** {missing}."
    return text


async def _fetch(state: GatewayState, name: str) -> Document | str:
    """A service's document, or the reason it could not be had."""
    timeout = state.settings.health_timeout_seconds
    try:
        async with asyncio.timeout(timeout):
            status, body = await state.upstreams[name].get("/openapi.json")
        if status != 200:
            return f"HTTP {status}"
        document = json.loads(body)
        return document if isinstance(document, dict) else "not an OpenAPI document"
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except Exception as exc:
        return exc.__class__.__name__


class MergedDocument:
    """The merged document, kept briefly: building it calls every service."""

    def __init__(self, ttl: float) -> None:
        self._ttl = ttl
        self._document: Document | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def get(self, state: GatewayState, gateway: Document) -> Document:
        async with self._lock:
            if self._document is None or time.monotonic() >= self._expires:
                names = sorted(state.upstreams)
                fetched = await asyncio.gather(*(_fetch(state, name) for name in names))
                found = {n: doc for n, doc in zip(names, fetched, strict=True) if isinstance(doc, dict)}
                failed = {n: doc for n, doc in zip(names, fetched, strict=True) if isinstance(doc, str)}
                self._document = merge(gateway, found, failed)
                self._expires = time.monotonic() + self._ttl
            return self._document


router = APIRouter(include_in_schema=False)


@router.get("/openapi.json")
async def openapi_document(request: Request) -> JSONResponse:
    state: GatewayState = request.app.state.gateway
    cache: MergedDocument = request.app.state.openapi_cache
    return JSONResponse(await cache.get(state, request.app.openapi()))


@router.get("/docs")
async def docs() -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/openapi.json", title="Quintet API")
