"""What a provider is. A provider is built per app by a factory, so its state (messages received,
accounts, the SMTP server) belongs to that app: two apps in one process, as in tests, never share it."""

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from fastapi import APIRouter

from sandbox.config import Settings

Hook = Callable[[], Awaitable[None]]

_NAME = re.compile(r"^[a-z][a-z0-9-]*$")


@dataclass(frozen=True)
class Provider:
    """One stand-in: its routes are mounted under /sandbox/<name>/..., its hooks run with the app."""

    name: str
    title: str
    router: APIRouter
    on_startup: Sequence[Hook] = ()
    on_shutdown: Sequence[Hook] = ()

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"provider name {self.name!r} must be a lowercase URL segment")

    @property
    def prefix(self) -> str:
        return f"/sandbox/{self.name}"


ProviderFactory = Callable[[Settings], Provider]
