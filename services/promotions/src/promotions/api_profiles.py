"""PUT/GET/DELETE /promotions/profiles/{user} and GET /promotions/profiles."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from promotions import profiles
from promotions.api_answers import INVALID, UNSIGNED, unknown
from promotions.schemas import ProfileBody, ProfilePublic
from quintet_shared.context import ClientDep
from quintet_shared.deps import NowDep, PageDep, PageSizeDep, SessionDep
from quintet_shared.pagination import DEFAULT_PAGE_SIZE, Page, page_of

router = APIRouter(tags=["promotions: profiles"])
UNKNOWN = unknown("profile")
User = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        description="The client's own reference for its user, percent-escaped (`/` as `%2F`)",
    ),
]


@router.put(
    "/promotions/profiles/{user:path}",
    response_model=ProfilePublic,
    status_code=200,
    responses={201: {"description": "Created", "model": ProfilePublic}, **UNSIGNED, **INVALID},
    summary="Create or replace a user's profile (201 created, 200 replaced)",
    description=(
        "The whole profile: a field left out is cleared. `latitude` and `longitude` come both or neither "
        "(0 is a coordinate; a profile without a location is never eligible); `segments` are names of "
        "existing segments (unknown ones are a 422 listing them)."
    ),
)
def put_profile(
    user: User, data: ProfileBody, client: ClientDep, session: SessionDep, now: NowDep, response: Response
) -> ProfilePublic:
    saved = profiles.put_profile(session, client=client.client_code, user=user, data=data, now=now)
    session.commit()
    response.status_code = 201 if saved.created else 200
    return saved.profile


@router.get(
    "/promotions/profiles",
    response_model=Page[ProfilePublic],
    responses={**UNSIGNED, **INVALID},
    summary="The calling client's profiles, by user",
)
def list_profiles(
    request: Request,
    client: ClientDep,
    session: SessionDep,
    page: PageDep = 1,
    page_size: PageSizeDep = DEFAULT_PAGE_SIZE,
) -> Page[ProfilePublic]:
    code = client.client_code
    items = profiles.list_profiles(session, client=code, offset=(page - 1) * page_size, limit=page_size)
    count = profiles.count_profiles(session, client=code)
    return page_of(items, count=count, page=page, page_size=page_size, url=request.url)


@router.get(
    "/promotions/profiles/{user:path}",
    response_model=ProfilePublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="One user's profile",
)
def get_profile(user: User, client: ClientDep, session: SessionDep) -> ProfilePublic:
    return profiles.get_profile(session, client=client.client_code, user=user)


@router.delete(
    "/promotions/profiles/{user:path}",
    status_code=204,
    response_class=Response,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="Delete a user's profile",
)
def delete_profile(user: User, client: ClientDep, session: SessionDep) -> Response:
    profiles.delete_profile(session, client=client.client_code, user=user)
    session.commit()
    return Response(status_code=204)
