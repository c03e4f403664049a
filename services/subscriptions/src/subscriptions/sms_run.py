"""The daily SMS of one client and one local date, as the worker's job and the operator's command run
it: record the date's messages (sms_daily.py), then send what is queued for that date
(sms_delivery.py). Safe to run again: a second run records nothing new and finds nothing queued, so
it sends nothing; a run after a crash sends what the first left queued (once its lease is over)."""

import asyncio
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine

from quintet_shared.clock import Clock
from quintet_shared.db import session_scope
from subscriptions.config import Settings
from subscriptions.sms_daily import DayRecord, record_day
from subscriptions.sms_delivery import DeliveryCounts, deliver


@dataclass(frozen=True)
class DayRun:
    record: DayRecord
    delivery: DeliveryCounts
    seconds: float

    def as_result(self) -> dict[str, Any]:
        return {
            "day": self.record.day.isoformat(),
            "recorded": self.record.recorded,
            "already": self.record.already,
            "without_forecast": self.record.without_forecast,
            **self.delivery.as_result(),
            "seconds": round(self.seconds, 3),
        }


def run_day(engine: Engine, settings: Settings, *, client: str, day: date, clock: Clock) -> DayRun:
    started = time.perf_counter()
    with session_scope(engine) as session:
        record = record_day(session, client=client, day=day, now=clock())
    delivery = asyncio.run(deliver(engine, settings, client=client, clock=clock, day=day))
    return DayRun(record=record, delivery=delivery, seconds=time.perf_counter() - started)
