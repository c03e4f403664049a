"""The plumbing tables every component's database holds: outbox, inbox, jobs, schedules, tenants.

They live in one metadata of their own; a component's Alembic history creates them with
`quintet_shared.migrations.create_kit_tables` and targets `[own metadata, kit_metadata]`.
"""

from sqlalchemy import DDL, JSON, Column, Index, Integer, String, Table, Text, Uuid, event

from quintet_shared.db import new_metadata
from quintet_shared.types import UTCDateTime

kit_metadata = new_metadata()

outbox_message = Table(
    "outbox_message",
    kit_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", Uuid, nullable=False, unique=True),
    Column("type", String(200), nullable=False),
    Column("body", Text, nullable=False),  # the encoded envelope, exactly as it will be published
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
)
Index("ix_outbox_message_unsent", outbox_message.c.id, postgresql_where=outbox_message.c.sent_at.is_(None))

# On PostgreSQL every insert into the outbox notifies the relay when its transaction commits
# (quintet_shared.outbox_notify); a statement trigger, and PostgreSQL folds a transaction's
# identical notifications into one, so a transaction of many events costs one notification.
OUTBOX_CHANNEL = "quintet_outbox"
outbox_notify_function = DDL(f"""
CREATE OR REPLACE FUNCTION quintet_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{OUTBOX_CHANNEL}', '');
    RETURN NULL;
END
$$""")
outbox_notify_trigger = DDL("""
CREATE TRIGGER outbox_message_notify AFTER INSERT ON outbox_message
FOR EACH STATEMENT EXECUTE FUNCTION quintet_outbox_notify()""")
event.listen(outbox_message, "after_create", outbox_notify_function.execute_if(dialect="postgresql"))
event.listen(outbox_message, "after_create", outbox_notify_trigger.execute_if(dialect="postgresql"))

inbox_message = Table(
    "inbox_message",
    kit_metadata,
    Column("consumer", String(200), primary_key=True),
    Column("message_id", Uuid, primary_key=True),
    Column("processed_at", UTCDateTime, nullable=False),
)

job = Table(
    "job",
    kit_metadata,
    Column("id", Uuid, primary_key=True),
    Column("client", String(64), nullable=False),
    Column("kind", String(100), nullable=False),
    Column("status", String(16), nullable=False),
    Column("payload", JSON, nullable=True),
    Column("progress_done", Integer, nullable=False, default=0),
    Column("progress_total", Integer, nullable=True),
    Column("result", JSON, nullable=True),
    Column("errors", JSON, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime, nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
)
Index("ix_job_client_created_at", job.c.client, job.c.created_at)

schedule_state = Table(
    "schedule_state",
    kit_metadata,
    Column("name", String(200), primary_key=True),
    Column("last_slot_at", UTCDateTime, nullable=False),
    Column("fired_at", UTCDateTime, nullable=False),
)

scheduled_task = Table(
    "scheduled_task",
    kit_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(100), nullable=False),
    Column("key", String(200), nullable=False, unique=True),  # one task per key: scheduling twice is harmless
    Column("due_at", UTCDateTime, nullable=False),
    Column("payload", JSON, nullable=True),
    Column("fired_at", UTCDateTime, nullable=True),
)
Index("ix_scheduled_task_due", scheduled_task.c.due_at, postgresql_where=scheduled_task.c.fired_at.is_(None))

tenant = Table(
    "tenant",
    kit_metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("services", JSON, nullable=False),
    Column("active", Integer, nullable=False, default=1),
    Column("registered_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
