"""FastAPI dependencies shared by every service's routes."""

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from quintet_shared.pagination import MAX_PAGE, MAX_PAGE_SIZE
from quintet_shared.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def get_engine(request: Request) -> Engine:
    return get_runtime(request).engine


def get_session(request: Request) -> Iterator[Session]:
    """A session for one request. The route (the boundary of the use case) commits, once."""
    with Session(get_engine(request), expire_on_commit=False) as session:
        yield session


def get_now(request: Request) -> datetime:
    """The runtime clock's time once per request, so that one request sees one instant (and tests
    move the clock instead of sleeping)."""
    return get_runtime(request).clock()


SessionDep = Annotated[Session, Depends(get_session)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
NowDep = Annotated[datetime, Depends(get_now)]
# Bounded so that the row offset fits a 64-bit integer on every database (beyond: 422, not a 500).
PageDep = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"1-based page number (max {MAX_PAGE:,})")]
PageSizeDep = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"Items per page (max {MAX_PAGE_SIZE})")]
