"""Delivery receipts and the expiry sweep, on SQLite and PostgreSQL, called as the gateway forwards a
public path (client `-`): the token says whose message it is; an unknown token or msgid is 404, a
repeated receipt changes nothing, a message without a receipt expires after the receipt hours."""

from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlmodel import Session

from quintet_shared.db import session_scope
from subscriptions.client_settings import get_settings
from subscriptions.models import SmsMessage, Subscription
from subscriptions.sms_receipts import NOT_SENT_IN_TIME, expire_unreported

SUBSCRIBER = {"msisdn": "254712345678", "plan": "daily", "latitude": -1.3, "longitude": 36.8}


def a_message(api: Any, *, client: str = "iska", msgid: str, status: str = "accepted") -> str:
    """A subscription of `client` with one message of today; the client's callback token."""
    api.created("/subscriptions/subscriptions", SUBSCRIBER, client=client)
    now = api.clock()
    with session_scope(api.engine) as session:
        token = get_settings(session, client=client, now=now).callback_token
        subscription_id = session.execute(
            select(Subscription.id).where(Subscription.client == client, Subscription.msisdn == SUBSCRIBER["msisdn"])
        ).scalar_one()
        session.execute(
            insert(SmsMessage).values(
                client=client,
                subscription_id=subscription_id,
                msgid=msgid,
                day=now.date(),
                gateway="srv1",
                status=status,
                text="fcat24: sunny, fcat48: rain",
                attempts=1,
                queued_at=now,
                sent_at=now if status != "queued" else None,
            )
        )
    return token


def receipt(api: Any, token: str, body: Any) -> Any:
    return api.post(f"/subscriptions/public/sms/{token}", body, client="-")


def stored(api: Any, msgid: str) -> SmsMessage:
    with Session(api.engine) as session:
        return session.execute(select(SmsMessage).where(SmsMessage.msgid == msgid)).scalar_one()


def test_a_receipt_marks_the_message_delivered_once(api: Any) -> None:
    token = a_message(api, msgid="a1b2c3")
    api.clock.advance(timedelta(seconds=3))
    answer = receipt(api, token, {"msgid": "A1B2C3", "status": "delivered", "err": "000"})  # case and extra field
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"msgid": "a1b2c3", "status": "delivered"}
    first = stored(api, "a1b2c3")
    assert first.status == "delivered" and first.delivered_at == api.clock()
    api.clock.advance(timedelta(minutes=1))
    for again in ({"msgid": "a1b2c3", "status": "delivered"}, {"msgid": "a1b2c3", "status": "failed"}):
        repeated = receipt(api, token, again)
        assert repeated.status_code == 200 and repeated.json()["status"] == "delivered"
    assert stored(api, "a1b2c3").delivered_at == first.delivered_at
    shown = api.get(f"/subscriptions/subscriptions/{SUBSCRIBER['msisdn']}").json()["sms"]
    assert shown == [
        {
            "msgid": "a1b2c3",
            "gateway": "srv1",
            "status": "delivered",
            "sent_at": "2026-03-02T10:00:00Z",
            "delivered_at": "2026-03-02T10:00:03Z",
        }
    ]


def test_a_failed_receipt_and_one_that_outruns_the_record_of_acceptance(api: Any) -> None:
    token = a_message(api, msgid="ff01", status="queued")
    answer = receipt(api, token, {"msgid": "ff01", "status": "failed"})
    assert answer.json() == {"msgid": "ff01", "status": "failed"}
    assert stored(api, "ff01").delivered_at is None


def test_unknown_tokens_and_msgids_are_404_and_another_clients_message_is_unknown(api: Any) -> None:
    token = a_message(api, msgid="abc123")
    other = a_message(api, client="other", msgid="def456")
    for wrong in ("not-a-token", "x" * 65, token[:-1]):
        answer = receipt(api, wrong, {"msgid": "abc123", "status": "delivered"})
        assert answer.status_code == 404 and answer.headers["content-type"] == "application/problem+json"
    assert receipt(api, token, {"msgid": "999999", "status": "delivered"}).status_code == 404
    assert receipt(api, other, {"msgid": "abc123", "status": "delivered"}).status_code == 404
    assert stored(api, "abc123").status == "accepted"


def test_bad_receipts_are_422_and_a_client_cannot_call_the_public_route(api: Any) -> None:
    token = a_message(api, msgid="abc123")
    for body in ({"msgid": "abc123"}, {"msgid": "abc123", "status": "read"}, {"msgid": "", "status": "delivered"}, []):
        assert receipt(api, token, body).status_code == 422, body
    as_client = api.post(f"/subscriptions/public/sms/{token}", {"msgid": "abc123", "status": "delivered"})
    assert as_client.status_code == 401  # a client's signed request is not a public caller
    assert api.get("/subscriptions/sms/gateways", client="-").status_code == 401


def test_without_a_receipt_an_accepted_message_expires_and_a_late_one_still_counts(api: Any) -> None:
    token = a_message(api, msgid="e1")
    with session_scope(api.engine) as session:
        assert expire_unreported(session, now=api.clock() + timedelta(hours=23), receipt_hours=24) == (0, 0)
        assert expire_unreported(session, now=api.clock() + timedelta(hours=25), receipt_hours=24) == (1, 0)
    assert stored(api, "e1").status == "expired"
    assert receipt(api, token, {"msgid": "e1", "status": "delivered"}).json()["status"] == "delivered"


def test_a_message_never_accepted_in_time_fails(api: Any) -> None:
    a_message(api, msgid="q1", status="queued")
    with session_scope(api.engine) as session:
        session.execute(update(SmsMessage).values(next_attempt_at=api.clock()))
        assert expire_unreported(session, now=api.clock() + timedelta(hours=25), receipt_hours=24) == (0, 1)
    row = stored(api, "q1")
    assert (row.status, row.last_error, row.next_attempt_at) == ("failed", NOT_SENT_IN_TIME, None)
