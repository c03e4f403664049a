"""The list envelope of ARCHITECTURE.md §6: `{count, next, previous, results}`."""

from collections.abc import Sequence
from typing import Generic, TypeVar

from pydantic import BaseModel
from starlette.datastructures import URL

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_PAGE = 1_000_000_000


class Page(BaseModel, Generic[T]):
    count: int
    next: str | None
    previous: str | None
    results: list[T]


def page_of(items: Sequence[T], *, count: int, page: int, page_size: int, url: URL) -> Page[T]:
    """Links keep the caller's other query parameters; they are relative to the gateway's path."""

    def link(number: int) -> str:
        target = url.include_query_params(page=number, page_size=page_size)
        return f"{target.path}?{target.query}"

    last_page = max(1, -(-count // page_size))
    return Page[T](
        count=count,
        next=link(page + 1) if page < last_page else None,
        previous=link(page - 1) if page > 1 else None,
        results=list(items),
    )
