"""The admin API: thin routes over the registry use cases, behind the admin bearer token.

Routes and dependencies are `async` and each route's database work runs in one hop to a worker
thread: under load every hop waits for a thread and for the GIL, and a plain `def` route with
plain `def` dependencies made four of them per request (see bench/admin.py).
"""

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from gateway import registry
from gateway.models import AppIdRotated, Client, ClientCreate, ClientPublic, ClientUpdate, ClientWithAppId
from gateway.registry import Registration
from gateway.state import GatewayState
from quintet_shared.db import session_scope
from quintet_shared.deps import PageDep, PageSizeDep
from quintet_shared.logs import request_id_var
from quintet_shared.pagination import DEFAULT_PAGE_SIZE, Page, page_of

_bearer = HTTPBearer(auto_error=False, scheme_name="AdminToken", description="GATEWAY_ADMIN_TOKEN")


async def get_state(request: Request) -> GatewayState:
    return request.app.state.gateway


StateDep = Annotated[GatewayState, Depends(get_state)]


async def require_admin(
    state: StateDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    given = credentials.credentials if credentials is not None else ""
    # Constant time, so the comparison does not tell how much of a guess was right.
    if not hmac.compare_digest(given.encode(), state.settings.admin_token.encode()):
        raise HTTPException(401, "A valid admin bearer token is required.", headers={"WWW-Authenticate": "Bearer"})


_errors: dict[int | str, dict[str, Any]] = {401: {"description": "Missing or wrong admin token"}}
router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)], responses=_errors)


def _public(client: Client) -> ClientPublic:
    return ClientPublic.model_validate(client, from_attributes=True)


def _applied(state: GatewayState) -> None:
    state.forget_clients()


@router.post(
    "/clients",
    status_code=status.HTTP_201_CREATED,
    response_model=ClientWithAppId,
    summary="Register a client; its app id is shown this once",
    responses={409: {"description": "The code is taken"}, 422: {"description": "Invalid fields or unknown services"}},
)
async def create_client(body: ClientCreate, state: StateDep) -> ClientWithAppId:
    # Written together with the registrations that arrive meanwhile (registrations.py).
    client, app_id = await state.registrations.register(Registration(body, request_id_var.get()))
    # No cache to clear: nothing can be cached under an app id that did not exist until now, and
    # clearing it would send every client's next request to the database.
    return ClientWithAppId(**_public(client).model_dump(), app_id=app_id)


@router.get("/clients", response_model=Page[ClientPublic], summary="Clients, by code (app ids are never shown)")
async def list_clients(
    request: Request, state: StateDep, page: PageDep = 1, page_size: PageSizeDep = DEFAULT_PAGE_SIZE
) -> Page[ClientPublic]:
    def listed() -> tuple[int, list[ClientPublic]]:
        with session_scope(state.engine) as session:
            count, clients = registry.list_clients(session, page=page, page_size=page_size)
            return count, [_public(client) for client in clients]

    count, results = await run_in_threadpool(listed)
    return page_of(results, count=count, page=page, page_size=page_size, url=request.url)


@router.get(
    "/clients/{code}",
    response_model=ClientPublic,
    summary="One client",
    responses={404: {"description": "No such client"}},
)
async def get_client(code: str, state: StateDep) -> ClientPublic:
    def found() -> ClientPublic:
        with session_scope(state.engine) as session:
            return _public(registry.get_client(session, code=code))

    return await run_in_threadpool(found)


@router.patch(
    "/clients/{code}",
    response_model=ClientPublic,
    summary="Change a client's name, services, rate limit or active flag",
    responses={404: {"description": "No such client"}, 422: {"description": "Invalid fields or unknown services"}},
)
async def update_client(code: str, body: ClientUpdate, state: StateDep) -> ClientPublic:
    def updated() -> Client:
        with session_scope(state.engine) as session:
            return registry.update_client(
                session,
                code=code,
                changes=body,
                known_services=state.services,
                now=state.clock(),
                correlation_id=correlation_id,
            )

    correlation_id = request_id_var.get()
    client = await run_in_threadpool(updated)
    _applied(state)
    return _public(client)


@router.post(
    "/clients/{code}/rotate-app-id",
    response_model=AppIdRotated,
    summary="Issue a new app id; the old one stops working",
    responses={404: {"description": "No such client"}},
)
async def rotate_app_id(code: str, state: StateDep) -> AppIdRotated:
    def rotated() -> tuple[Client, str]:
        with session_scope(state.engine) as session:
            return registry.rotate_app_id(session, code=code, now=state.clock())

    client, app_id = await run_in_threadpool(rotated)
    _applied(state)
    return AppIdRotated(code=client.code, app_id=app_id)
