"""Delivery receipts, and what becomes of an SMS that never gets one.

A gateway posts `{"msgid", "status": "delivered"|"failed"}` to the client's callback URL,
`/subscriptions/public/sms/{token}` (ARCHITECTURE.md §11: no app id; the token, per client and
secret, says whose message it is). An unknown token is 404 (as an unknown msgid, so a caller cannot
tell a good token from a bad one by the answer), an msgid of another client is as unknown as one that
never existed. A msgid is matched lower-cased (receipts that change the case of a hex id still find
their message).

A receipt moves a message that has none yet (`queued` when it outran the record of its acceptance,
`accepted`, or `expired` when it came late: the receipt is the better truth) to `delivered`, with
`delivered_at`, or `failed`. A second receipt for the same message changes nothing, whatever it says.

`expire_unreported` (the periodic sweep): an `accepted` message without a receipt
`SUBSCRIPTIONS_SMS_RECEIPT_HOURS` after it was sent becomes `expired` (some networks never report:
no receipt is a state, not an error); a message still `queued` that long after it was recorded,
which no gateway ever accepted, becomes `failed`.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import Session

from quintet_shared.errors import NotFound
from subscriptions.models import ClientSettings, SmsMessage, SmsStatus

MAX_TOKEN = 64  # client_settings.callback_token
OPEN = (SmsStatus.QUEUED.value, SmsStatus.ACCEPTED.value, SmsStatus.EXPIRED.value)
NOT_SENT_IN_TIME = "no gateway accepted it within SUBSCRIPTIONS_SMS_RECEIPT_HOURS"


@dataclass(frozen=True)
class ReceiptOutcome:
    msgid: str
    status: str  # the message's status after the receipt
    changed: bool


def client_for_token(session: Session, token: str) -> str:
    """The client whose callback token this is; 404 otherwise."""
    found = None
    if 0 < len(token) <= MAX_TOKEN:
        query = select(ClientSettings.client).where(ClientSettings.callback_token == token)  # type: ignore[arg-type]
        found = session.execute(query).scalar_one_or_none()
    if found is None:
        raise NotFound("No such callback.")
    return found


def record_receipt(session: Session, *, token: str, msgid: str, status: str, now: datetime) -> ReceiptOutcome:
    """Record a delivery receipt (see the module's docstring). Does not commit."""
    client = client_for_token(session, token)
    msgid = msgid.strip().lower()
    mine = (SmsMessage.client == client, SmsMessage.msgid == msgid)
    changes: dict[str, object] = {"status": status}
    if status == SmsStatus.DELIVERED.value:
        changes["delivered_at"] = now
    changed = session.execute(
        update(SmsMessage)
        .where(*mine, SmsMessage.status.in_(OPEN))  # type: ignore[attr-defined]
        .values(**changes, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    current = session.execute(select(SmsMessage.status).where(*mine)).scalar_one_or_none()  # type: ignore[arg-type]
    if current is None:
        raise NotFound(f"No SMS has msgid {msgid}.")
    return ReceiptOutcome(msgid=msgid, status=str(current), changed=changed == 1)


def expire_unreported(session: Session, *, now: datetime, receipt_hours: float) -> tuple[int, int]:
    """(expired, failed): the sweep of messages without a receipt, or never sent, past the time."""
    cutoff = now - timedelta(hours=receipt_hours)
    expired = session.execute(
        update(SmsMessage)
        .where(SmsMessage.status == SmsStatus.ACCEPTED.value, SmsMessage.sent_at < cutoff)  # type: ignore[operator]
        .values(status=SmsStatus.EXPIRED.value)
        .execution_options(synchronize_session=False)
    ).rowcount
    failed = session.execute(
        update(SmsMessage)
        .where(SmsMessage.status == SmsStatus.QUEUED.value, SmsMessage.queued_at < cutoff)  # type: ignore[operator]
        .values(status=SmsStatus.FAILED.value, next_attempt_at=None, last_error=NOT_SENT_IN_TIME)
        .execution_options(synchronize_session=False)
    ).rowcount
    return expired, failed
