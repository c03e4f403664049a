"""CRUD /promotions/segments."""

from fastapi import APIRouter, Request, Response

from promotions import segments
from promotions.api_answers import INVALID, UNSIGNED, RowId, conflict, unknown
from promotions.schemas import SegmentCreate, SegmentPatch, SegmentPublic
from quintet_shared.context import ClientDep
from quintet_shared.deps import NowDep, PageDep, PageSizeDep, SessionDep
from quintet_shared.pagination import DEFAULT_PAGE_SIZE, Page, page_of

router = APIRouter(tags=["promotions: segments"])
UNKNOWN = unknown("segment")
DUPLICATE = conflict("A segment of that name exists: `duplicate_name`")


@router.post(
    "/promotions/segments",
    status_code=201,
    response_model=SegmentPublic,
    responses={**UNSIGNED, **INVALID, **DUPLICATE},
    summary="Add a segment (its name unique per client)",
)
def create_segment(data: SegmentCreate, client: ClientDep, session: SessionDep, now: NowDep) -> SegmentPublic:
    segment = segments.create_segment(session, client=client.client_code, data=data, now=now)
    session.commit()
    return segments.public(segment)


@router.get(
    "/promotions/segments",
    response_model=Page[SegmentPublic],
    responses={**UNSIGNED, **INVALID},
    summary="The calling client's segments, by name",
)
def list_segments(
    request: Request,
    client: ClientDep,
    session: SessionDep,
    page: PageDep = 1,
    page_size: PageSizeDep = DEFAULT_PAGE_SIZE,
) -> Page[SegmentPublic]:
    code = client.client_code
    items = segments.list_segments(session, client=code, offset=(page - 1) * page_size, limit=page_size)
    count = segments.count_segments(session, client=code)
    return page_of(
        [segments.public(segment) for segment in items], count=count, page=page, page_size=page_size, url=request.url
    )


@router.get(
    "/promotions/segments/{id:int}",
    response_model=SegmentPublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID},
    summary="One segment",
)
def get_segment(id: RowId, client: ClientDep, session: SessionDep) -> SegmentPublic:
    return segments.public(segments.get_segment(session, client=client.client_code, id=id))


@router.patch(
    "/promotions/segments/{id:int}",
    response_model=SegmentPublic,
    responses={**UNSIGNED, **UNKNOWN, **INVALID, **DUPLICATE},
    summary="Rename or describe a segment",
)
def update_segment(id: RowId, data: SegmentPatch, client: ClientDep, session: SessionDep, now: NowDep) -> SegmentPublic:
    segment = segments.update_segment(session, client=client.client_code, id=id, data=data, now=now)
    session.commit()
    return segments.public(segment)


@router.delete(
    "/promotions/segments/{id:int}",
    status_code=204,
    response_class=Response,
    responses={
        **UNSIGNED,
        **UNKNOWN,
        **INVALID,
        **conflict("A promo or a profile still names the segment: `segment_in_use`"),
    },
    summary="Delete a segment no promo or profile names",
)
def delete_segment(id: RowId, client: ClientDep, session: SessionDep) -> Response:
    segments.delete_segment(session, client=client.client_code, id=id)
    session.commit()
    return Response(status_code=204)
