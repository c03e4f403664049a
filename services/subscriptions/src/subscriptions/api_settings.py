"""GET/PUT /subscriptions/settings: the calling client's time zone, SMS time and text."""

from fastapi import APIRouter

from quintet_shared.context import ClientDep
from quintet_shared.deps import NowDep, SessionDep
from subscriptions import client_settings
from subscriptions.api_answers import INVALID, UNSIGNED
from subscriptions.schemas import SettingsPublic, SettingsPut

router = APIRouter(tags=["subscriptions: settings"])


@router.get(
    "/subscriptions/settings",
    response_model=SettingsPublic,
    responses={**UNSIGNED},
    summary="The calling client's settings (the defaults until set)",
)
def get_settings(client: ClientDep, session: SessionDep, now: NowDep) -> SettingsPublic:
    row = client_settings.get_settings(session, client=client.client_code, now=now)
    answer = client_settings.public(row)
    session.commit()
    return answer


@router.put(
    "/subscriptions/settings",
    response_model=SettingsPublic,
    responses={**UNSIGNED, **INVALID},
    summary="Set the time zone, the local time of the daily SMS and its template (fields left out: defaults)",
)
def put_settings(data: SettingsPut, client: ClientDep, session: SessionDep, now: NowDep) -> SettingsPublic:
    row = client_settings.put_settings(session, client=client.client_code, data=data, now=now)
    answer = client_settings.public(row)
    session.commit()
    return answer
