"""The delivery-receipt path through the real gateway (issue 9, Acceptance 3), on SQLite and
PostgreSQL: it is reached without an app id, it refuses a wrong token (404, as an unknown msgid), and
every other subscriptions path still needs an app id (the gateway's own tests check every route of
every service)."""

from datetime import date

import httpx
from sqlalchemy import select
from sqlmodel import Session

from quintet_shared.db import session_scope
from subscriptions.client_settings import get_settings
from subscriptions.models import SmsMessage
from subscriptions.sms_daily import record_day

from .sms_fixtures import SmsStack, make_paid

MISSING_APP_ID = "App-Id header is missing!"


def test_receipts_reach_the_service_without_an_app_id_and_a_wrong_token_is_refused(sms_stack: SmsStack) -> None:
    api = sms_stack.api
    api.created("/subscriptions/forecasts", {"gid": "1", "latitude": 0.5, "longitude": 37.0, "fcat24": "dry"})
    api.created(
        "/subscriptions/subscriptions", {"msisdn": "254711000001", "plan": "11", "latitude": 0.4, "longitude": 37}
    )
    make_paid(sms_stack.engine, ["254711000001"], date(2026, 3, 2))
    with session_scope(sms_stack.engine) as session:
        record_day(session, client="iska", day=date(2026, 3, 2), now=api.clock())
        token = get_settings(session, client="iska", now=api.clock()).callback_token
    with Session(sms_stack.engine) as session:
        msgid = session.execute(select(SmsMessage.msgid)).scalar_one()

    with httpx.Client(base_url=sms_stack.gateway_url, timeout=10) as gateway:
        answer = gateway.post(f"/subscriptions/public/sms/{token}", json={"msgid": msgid, "status": "delivered"})
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"msgid": msgid, "status": "delivered"}
        with_app_id = gateway.post(
            f"/subscriptions/public/sms/{token}",
            json={"msgid": msgid, "status": "delivered"},
            headers={"X-App-Id": "anything"},  # ignored on a public path
        )
        assert with_app_id.status_code == 200
        for wrong in (token[:-1] + ("A" if token[-1] != "A" else "B"), "guess", "x" * 200):
            refused = gateway.post(f"/subscriptions/public/sms/{wrong}", json={"msgid": msgid, "status": "failed"})
            assert refused.status_code == 404, (wrong, refused.text)
        unknown = gateway.post(f"/subscriptions/public/sms/{token}", json={"msgid": "0" * 32, "status": "delivered"})
        assert unknown.status_code == 404
        for method, path in (
            ("GET", "/subscriptions/sms/gateways"),
            ("GET", "/subscriptions/subscriptions/254711000001"),
            ("GET", "/subscriptions/settings"),
            ("POST", "/subscriptions/public%2F..%2Fsms%2Fgateways"),
        ):
            closed = gateway.request(method, path)
            assert closed.status_code == 401 and MISSING_APP_ID in closed.text, (method, path)
    with Session(sms_stack.engine) as session:
        assert session.execute(select(SmsMessage.status)).scalar_one() == "delivered"
