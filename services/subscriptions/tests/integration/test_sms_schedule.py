"""When the daily SMS runs, on SQLite and PostgreSQL, through the worker's scheduler on a fake clock: at
the client's local time in its own zone, once per local date however often it ticks, catching up
when the worker was down at that time; and the sweep that resends what a dead sender left queued."""

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from quintet_shared.db import session_scope
from quintet_shared.schedules import Scheduler
from subscriptions.component import DEFINITION
from subscriptions.models import SmsMessage
from subscriptions.sms_daily import record_day
from subscriptions.sms_delivery import LEASE, claim
from subscriptions.sms_schedule import DAY_JOB, RESEND_JOB

from .sms_fixtures import SmsStack, Worker, make_paid

TOKYO_DATE = date(2026, 3, 3)


def setup_tokyo_client(stack: SmsStack, at: str = "07:30") -> None:
    api = stack.api
    assert api.put("/subscriptions/settings", {"timezone": "Asia/Tokyo", "sms_local_time": at}).is_success
    api.created("/subscriptions/forecasts", {"gid": "13", "latitude": 35.68, "longitude": 139.69, "fcat24": "snow"})
    subscriber = {"msisdn": "81312345678", "plan": "daily", "latitude": 35.7, "longitude": 139.7}
    api.created("/subscriptions/subscriptions", subscriber)
    make_paid(stack.engine, ["81312345678"], TOKYO_DATE + timedelta(days=5))


def day_jobs(worker: Worker) -> list[tuple[str, dict[str, object]]]:
    return [(job["kind"], job["payload"]) for job in worker.jobs() if job["kind"] in (DAY_JOB, RESEND_JOB)]


async def test_the_run_starts_at_the_local_time_once_whatever_the_ticks_and_replicas(
    sms_stack: SmsStack, worker: Worker
) -> None:
    setup_tokyo_client(sms_stack)
    clock = sms_stack.clock
    clock.set(datetime.fromisoformat("2026-03-02T22:29:00+00:00"))  # 07:29 in Tokyo, on 3 March
    await worker.step()
    assert day_jobs(worker) == []
    clock.set(datetime.fromisoformat("2026-03-02T22:31:00+00:00"))
    replica = Scheduler(
        sms_stack.engine, periodic=DEFINITION.periodic, one_shot_actions=DEFINITION.one_shot, clock=clock
    )
    replica.tick()  # another replica ticks first: it fires the run
    await worker.step()
    for minutes in (1, 2, 600):
        clock.set(datetime.fromisoformat("2026-03-02T22:31:00+00:00") + timedelta(minutes=minutes))
        replica.tick()
        await worker.step()
    assert day_jobs(worker) == [("sms_day", {"day": "2026-03-03"})]
    await sms_stack.sms.callbacks_done()
    assert [item["text"] for item in sms_stack.sms.received()] == ["fcat24: snow, fcat48: "]


async def test_a_worker_down_at_the_time_catches_up_that_day_and_not_a_day_later(
    sms_stack: SmsStack, worker: Worker
) -> None:
    setup_tokyo_client(sms_stack)
    sms_stack.clock.set(datetime.fromisoformat("2026-03-03T06:00:00+00:00"))  # 15:00 in Tokyo
    await worker.step()
    assert day_jobs(worker) == [("sms_day", {"day": "2026-03-03"})]
    sms_stack.clock.set(datetime.fromisoformat("2026-03-05T06:00:00+00:00"))  # down all of 4 March
    await worker.step()
    assert day_jobs(worker)[1:] == [("sms_day", {"day": "2026-03-05"})]
    await sms_stack.sms.callbacks_done()
    assert len(sms_stack.sms.received()) == 2


async def test_the_sweep_resends_what_a_dead_sender_left_queued(sms_stack: SmsStack, worker: Worker) -> None:
    setup_tokyo_client(sms_stack, at="23:00")  # the daily run stays out of it
    clock = sms_stack.clock
    clock.set(datetime.fromisoformat("2026-03-03T00:00:00+00:00"))  # 09:00 in Tokyo
    with session_scope(sms_stack.engine) as session:
        record_day(session, client="iska", day=TOKYO_DATE, now=clock())
        session.flush()
        assert len(claim(session, client="iska", now=clock(), day=None, limit=10)) == 1  # then the sender died
    assert await worker.step() and day_jobs(worker) == []  # its lease holds the row off the sweep
    clock.set(clock() + LEASE + timedelta(minutes=5))
    await worker.step()
    assert [kind for kind, _ in day_jobs(worker)] == ["sms_resend"]
    await sms_stack.sms.callbacks_done()
    with Session(sms_stack.engine) as session:
        assert session.execute(select(SmsMessage.status)).scalars().all() == ["delivered"]
