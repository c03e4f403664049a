"""Which parser and time zone read a client's files (client_formats.py), as an ingestion error."""

from zoneinfo import ZoneInfo

from sqlmodel import Session

from quintet_shared.errors import Problem
from readings.client_formats import resolve
from readings.formats.base import Parser


class UnknownClient(LookupError):
    """The client has no file format configured: its files cannot be read."""


def client_parser(session: Session, client: str) -> tuple[Parser, ZoneInfo]:
    try:
        return resolve(session, client)
    except Problem as exc:  # resolve speaks HTTP (422); the CLI and the job speak exit codes and errors
        raise UnknownClient(exc.detail) from exc
