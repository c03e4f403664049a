"""Which format each client's files are in, and the client's time zone (table client_format).

`potatoes` and `carrots` work out of the box (BUILT_IN); a row in the table overrides them, and an
operator adds other clients with `readings clients set`. Use cases take the caller's session and
never commit: the caller's unit of work does.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from quintet_shared.errors import Problem
from readings.formats import registry
from readings.formats.base import Parser
from readings.models import ClientFormat

CLIENT_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{1,63}")  # the gateway's client codes
BUILT_IN: dict[str, tuple[str, str]] = {
    "potatoes": ("potatoes", "UTC"),
    "carrots": ("carrots", "Asia/Tokyo"),
}


@dataclass(frozen=True, slots=True)
class ClientFormatSetting:
    client: str
    format: str
    timezone: str
    updated_at: datetime | None  # None: the built-in default, never set by an operator

    @property
    def built_in(self) -> bool:
        return self.updated_at is None


def resolve(session: Session, client: str) -> tuple[Parser, ZoneInfo]:
    """The parser and time zone for `client`'s files; Problem 422 when the client has no format."""
    setting = _setting(session, client)
    if setting is None:
        raise Problem(
            f"client {client!r} has no file format; set one with "
            f"`readings clients set {client} --format <name> --timezone <zone>`",
            status=422,
        )
    return parser_named(setting.format), zone_named(setting.timezone)


def set_client_format(
    session: Session, *, client: str, format: str, timezone: str, now: datetime
) -> ClientFormatSetting:
    """Set (or replace) `client`'s format and time zone; both must be known (Problem 422)."""
    if not CLIENT_CODE.fullmatch(client):
        raise Problem(f"invalid client code {client!r}: lowercase letters, digits, - and _, 2 to 64", status=422)
    parser, zone = parser_named(format), zone_named(timezone)
    row = session.get(ClientFormat, client)
    if row is None:
        row = ClientFormat(client=client, format=parser.name, timezone=zone.key, updated_at=now)
    else:
        row.format, row.timezone, row.updated_at = parser.name, zone.key, now
    session.add(row)
    session.flush()
    return ClientFormatSetting(row.client, row.format, row.timezone, row.updated_at)


def list_client_formats(session: Session) -> list[ClientFormatSetting]:
    """Every client with a format: the table's rows and the built-in defaults they do not override."""
    settings = {row.client: _from_row(row) for row in session.exec(select(ClientFormat))}
    for client, (format, timezone) in BUILT_IN.items():
        settings.setdefault(client, ClientFormatSetting(client, format, timezone, None))
    return [settings[client] for client in sorted(settings)]


def parser_named(name: str) -> Parser:
    try:
        return registry.get(name)
    except registry.UnknownFormat as error:
        raise Problem(str(error), status=422) from None


def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise Problem(f"unknown time zone {name!r} (an IANA name such as Asia/Tokyo or UTC)", status=422) from None


def _setting(session: Session, client: str) -> ClientFormatSetting | None:
    row = session.get(ClientFormat, client)
    if row is not None:
        return _from_row(row)
    if client in BUILT_IN:
        format, timezone = BUILT_IN[client]
        return ClientFormatSetting(client, format, timezone, None)
    return None


def _from_row(row: ClientFormat) -> ClientFormatSetting:
    return ClientFormatSetting(row.client, row.format, row.timezone, row.updated_at)
