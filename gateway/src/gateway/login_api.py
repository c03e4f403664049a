"""Browser sign-in: `GET /login` (the form), `POST /login` (an app id → the session cookie), `POST /logout`.

Bad input is answered with problem+json; success with 303 to `next`, which must be a path of this
site (`/...`, never `//host` or a URL: no open redirect). Both POSTs refuse a request whose Origin is
another site's (a page elsewhere must not sign a browser in or out), and signing in is limited per
remote address like the public paths. These are browser pages, so they are not in /openapi.json.
"""

import re
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from gateway import login_page
from gateway.admin_api import StateDep
from gateway.ratelimit import retry_after
from gateway.registry import hash_app_id
from gateway.sessions import SESSION_COOKIE, cleared_cookies, session_cookies
from gateway.state import GatewayState
from quintet_shared.errors import Problem, problem_response

DEFAULT_NEXT = "/login"
MAX_NEXT = 2048
MAX_APP_ID = 256
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# A path of this site: a slash not followed by another slash or a backslash (which browsers read as
# the start of a host), then printable ASCII only (no spaces, no control characters).
_LOCAL_PATH = re.compile(r"/(?![/\\])[\x21-\x7e]*")
# What the gateway's own pages may do: show themselves and post their forms here, nothing else.
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

router = APIRouter(include_in_schema=False)


def local_path(value: str | None) -> str:
    """`value` when it is a path of this site, the default when absent; else a 422 problem."""
    if value is None or value == "":
        return DEFAULT_NEXT
    if len(value) <= MAX_NEXT and _LOCAL_PATH.fullmatch(value) and "\\" not in value:
        parts = urlsplit(value)
        if not parts.scheme and not parts.netloc:
            return value
    raise Problem(
        "`next` must be a path of this site, starting with a single '/'.",
        status=422,
        errors=[{"loc": ["next"], "msg": "not a local path"}],
    )


def _next_in_query(request: Request) -> str:
    values = request.query_params.getlist("next")
    if len(values) > 1:
        raise Problem("Send `next` once.", status=422, errors=[{"loc": ["query", "next"], "msg": "repeated"}])
    return local_path(values[0] if values else None)


def _same_origin(request: Request) -> None:
    """A browser names the page a POST comes from; one of another site's is refused."""
    origin = request.headers.get("origin")
    if origin is None:
        return  # not a browser, or one too old to say: SameSite still keeps the cookie from others
    host = request.headers.get("host", "")
    if origin not in (f"http://{host}", f"https://{host}"):
        raise Problem("A request from another site's page is not accepted here.", status=403)


def _secure(request: Request, state: GatewayState) -> bool:
    return state.settings.session_cookie_secure or request.url.scheme == "https"


async def _form_fields(request: Request, allowed: tuple[str, ...]) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if content_type not in FORM_TYPES:
        raise Problem(f"Send an HTML form ({' or '.join(FORM_TYPES)}).", status=415)
    form = await request.form(max_files=0, max_fields=len(allowed) + 5)
    fields: dict[str, str] = {}
    for name in allowed:
        values = form.getlist(name)
        if len(values) > 1 or any(isinstance(value, UploadFile) for value in values):
            raise Problem(f"Send `{name}` once, as text.", status=422, errors=[{"loc": ["body", name], "msg": "once"}])
        if values:
            fields[name] = str(values[0])
    return fields


def _redirect(to: str, cookies: list[str]) -> Response:
    response = Response(status_code=303, headers={"Location": to, "Cache-Control": "no-store"})
    for cookie in cookies:
        response.headers.append("set-cookie", cookie)
    return response


async def _signed_in_client(request: Request, state: GatewayState) -> tuple[str, int] | None:
    value = request.cookies.get(SESSION_COOKIE)
    session = state.sessions.read(value) if value else None
    if session is None or await state.sessions.client(session) is None:
        return None
    return session.client, session.expires_at


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, state: StateDep) -> HTMLResponse:
    next_path = _next_in_query(request)
    current = await _signed_in_client(request, state)
    if current is not None:
        page = login_page.signed_in(current[0], current[1], next_path)
    else:
        page = login_page.sign_in_form(next_path, state.settings.session_max_age_seconds)
    return HTMLResponse(page, headers=_PAGE_HEADERS)


def _over_limit(request: Request, state: GatewayState) -> Response | None:
    address = request.client.host if request.client else "unknown"
    per_minute = state.settings.public_rate_limit_per_minute
    wait = state.login_limiter.acquire(address, per_minute)
    if not wait:
        return None
    detail = f"Rate limit of {per_minute} sign-in attempts per minute per address exceeded."
    return problem_response(429, detail, headers={"Retry-After": str(retry_after(wait))})


@router.post("/login", dependencies=[Depends(_same_origin)])
async def login(request: Request, state: StateDep) -> Response:
    refused = _over_limit(request, state)
    if refused is not None:
        return refused
    fields = await _form_fields(request, ("app_id", "next"))
    next_path = local_path(fields.get("next"))
    app_id = fields.get("app_id", "")
    if not app_id or len(app_id) > MAX_APP_ID:
        msg = "required" if not app_id else f"at most {MAX_APP_ID} characters"
        raise Problem("Send the client's app id.", status=422, errors=[{"loc": ["body", "app_id"], "msg": msg}])
    app_id_hash = hash_app_id(app_id)
    client = await state.clients.get(app_id_hash)
    if client is None or not client.active:
        raise Problem("Not a valid Client App-Id", status=401)
    codec = state.sessions.codec
    value, session = codec.issue(client=client.code, app_id_hash=app_id_hash, now=state.sessions.now())
    secure = _secure(request, state)
    cookies = session_cookies(value, codec.csrf_token(session), max_age=codec.max_age_seconds, secure=secure)
    return _redirect(next_path, cookies)


@router.post("/logout", dependencies=[Depends(_same_origin)])
async def logout(request: Request, state: StateDep) -> Response:
    target = _next_in_query(request)
    if request.headers.get("content-type", "").partition(";")[0].strip().lower() in FORM_TYPES:
        fields = await _form_fields(request, ("next", "csrf_token"))
        if "next" in fields:
            target = local_path(fields["next"])
    return _redirect(target, cleared_cookies(secure=_secure(request, state)))
