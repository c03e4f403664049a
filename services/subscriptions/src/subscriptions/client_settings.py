"""A client's own settings (`client_settings`): its time zone, the local time of its daily SMS, the
SMS text, and the secret token of its delivery-receipt URL. The row is created with the defaults the
first time anything needs it; the token is never shown by the API."""

import secrets
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from subscriptions.models import ClientSettings
from subscriptions.problems import apply
from subscriptions.schemas import SettingsPublic, SettingsPut

DEFAULT_TEMPLATE = "fcat24: {fcat24}, fcat48: {fcat48}"


def public(row: ClientSettings) -> SettingsPublic:
    return SettingsPublic.model_validate(row, from_attributes=True)


def get_settings(session: Session, *, client: str, now: datetime) -> ClientSettings:
    """The client's settings, created with the defaults if it has none yet (race-safe)."""
    row = session.get(ClientSettings, client)
    if row is not None:
        return row
    row = ClientSettings(client=client, callback_token=secrets.token_urlsafe(32), created_at=now, updated_at=now)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # created at the same moment by another request
        found = session.get(ClientSettings, client)
        assert found is not None
        return found
    return row


def put_settings(session: Session, *, client: str, data: SettingsPut, now: datetime) -> ClientSettings:
    row = get_settings(session, client=client, now=now)
    values = data.model_dump()
    values["sms_local_time"] = time.fromisoformat(data.sms_local_time)  # HH:MM, checked by its pattern
    apply(row, values)
    row.updated_at = now
    session.flush()
    return row


def local_date(settings: ClientSettings, at: datetime) -> date:
    """The client's calendar date at an instant."""
    return at.astimezone(ZoneInfo(settings.timezone)).date()
