"""When rounds run: the schedule queues a round per due client (the tariff's interval), the job runs
it; `marketplace monitor run` runs one at once; Telegram failures are retried, then given up."""

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from marketplace.config import Settings
from marketplace.models import Notification, NotificationSetting, TelegramStatus
from marketplace.monitor_jobs import queue_due_rounds, run_monitoring_job
from marketplace.notifications import record
from marketplace.notify_telegram import send_pending
from quintet_shared.clock import FakeClock
from quintet_shared.db import session_scope
from quintet_shared.envelope import Envelope
from quintet_shared.jobs import JobContext
from quintet_shared.tables import job
from quintet_shared.tenants import remember_client

from .conftest import SELLER, Market, Provider, add_product, add_store, add_tariff

CLI = str(Path(sys.executable).parent / "marketplace")  # the console script beside this Python


def queued(engine: Any) -> list[tuple[str, str]]:
    with Session(engine) as session:
        return [(row.client, row.kind) for row in session.execute(select(job.c.client, job.c.kind)).all()]


def tick(engine: Any, at: datetime) -> None:
    with session_scope(engine) as session:
        queue_due_rounds(session, at)


def settings_env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    for name in ("database_url", "offers_url", "telegram_url", "telegram_bot_token", "offers_rate_per_second"):
        monkeypatch.setenv(f"MARKETPLACE_{name.upper()}", str(getattr(settings, name)))


def test_a_round_is_queued_when_due_by_the_tariffs_interval_and_the_job_runs_it(
    engine: Any, settings: Settings, market: Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_env(monkeypatch, settings)
    add_store(engine)
    add_tariff(engine, limit=10, interval_seconds=600)
    add_product(engine, "SKU-1", marketplace_product_id="P1")
    add_product(engine, "OTHER", client="idle", marketplace_product_id="P2", repricing=False)
    now = datetime.now(UTC)
    tick(engine, now)
    tick(engine, now)  # the first is still queued: not twice
    assert queued(engine) == [(SELLER, "monitoring_round")]
    with Session(engine) as session:
        (job_id,) = session.execute(select(job.c.id)).scalars().all()
    market.set_offers("P1", ("RIVAL", 990))
    clock = FakeClock(now)
    outcome = run_monitoring_job(
        JobContext(job_id=job_id, kind="monitoring_round", client=SELLER, payload={}, engine=engine, clock=clock)
    )
    assert (outcome.result["changed"], outcome.failed) == (1, False)
    with session_scope(engine) as session:
        session.execute(job.update().values(status="SUCCESS"))
    tick(engine, now + timedelta(seconds=599))
    assert len(queued(engine)) == 1  # the tariff's 10 minutes have not passed
    tick(engine, now + timedelta(seconds=600))
    assert len(queued(engine)) == 2


def test_monitor_run_prints_the_rounds_summary(
    engine: Any, settings: Settings, market: Market, database_url: str
) -> None:
    add_store(engine)
    add_tariff(engine, limit=1)
    add_product(engine, "SKU-1", marketplace_product_id="P1")
    add_product(engine, "SKU-2", marketplace_product_id="P2")
    market.set_offers("P1", ("RIVAL", 990))
    env = {
        **os.environ,
        **{f"MARKETPLACE_{k.upper()}": str(getattr(settings, k)) for k in ("database_url", "offers_url")},
    }
    unknown = subprocess.run([CLI, "monitor", "run", SELLER], env=env, capture_output=True, text=True)
    assert unknown.returncode == 2 and "knows no client" in unknown.stderr
    with session_scope(engine) as session:
        event = Envelope.new(
            type="gateway.client.registered",
            source="gateway",
            data={
                "code": SELLER,
                "name": "Seller",
                "services": ["marketplace"],
                "rate_limit_per_minute": 600,
                "active": True,
            },
        )
        remember_client(session, event)
    done = subprocess.run([CLI, "monitor", "run", SELLER], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "changed 1" in done.stdout and "skipped 1 products over the tariff's limit of 1" in done.stdout


def test_telegram_failures_are_retried_then_given_up(engine: Any, settings: Settings, telegram: Provider) -> None:
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        session.add(
            NotificationSetting(
                client=SELLER, telegram_chat_id="77", events=["marketplace.price.changed"], updated_at=now
            )
        )
        session.flush()
        record(session, client=SELLER, event="marketplace.price.changed", text="hello", data={}, now=now)
        record(session, client=SELLER, event="marketplace.order.placed", text="not wanted", data={}, now=now)
    clock = FakeClock(now)
    telegram.behave(failure_rate=1)
    tries = settings.model_copy(update={"telegram_attempts": 2})
    first = asyncio.run(send_pending(engine, tries, client=SELLER, clock=clock))
    assert (first.sent, first.retrying, first.failed) == (0, 1, 0)
    second = asyncio.run(send_pending(engine, tries, client=SELLER, clock=clock))
    assert (second.sent, second.failed) == (0, 1)
    with Session(engine) as session:
        statuses = sorted((n.text, n.telegram_status) for n in session.exec(select(Notification)))
    assert statuses == [("hello", TelegramStatus.FAILED), ("not wanted", TelegramStatus.NOT_SENT)]
    telegram.behave()
    with session_scope(engine) as session:
        record(session, client=SELLER, event="marketplace.price.changed", text="again", data={}, now=now)
    assert asyncio.run(send_pending(engine, tries, client=SELLER, clock=clock)).sent == 1
    assert [(m["chat_id"], m["text"]) for m in telegram.received()] == [(77, "again")]
    wrong = settings.model_copy(update={"telegram_bot_token": "wrong"})
    with session_scope(engine) as session:
        record(session, client=SELLER, event="marketplace.price.changed", text="refused", data={}, now=now)
    assert asyncio.run(send_pending(engine, wrong, client=SELLER, clock=clock)).retrying == 1
