"""An embedded-mode worker process for test_jobs_embedded_restart.py, run by path.

One component, `acme`, with the in-process bus and a database, run by the kit's ComponentWorker as
embedded mode runs it. Its one job function, `import`, either ends the process on the spot (mode
`crash`: `os._exit`, as the kernel's OOM killer would) or finishes (mode `finish`). The process
stops once no job is PENDING or STARTED, or after `--lifetime` seconds.
"""

import argparse
import asyncio
import os
from pathlib import Path

from sqlalchemy import MetaData, func, select

from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.component import ComponentDefinition
from quintet_shared.db import make_engine
from quintet_shared.jobs import JobContext, JobOutcome
from quintet_shared.runtime import Runtime
from quintet_shared.settings import ComponentSettings
from quintet_shared.tables import job
from quintet_shared.worker import ComponentWorker


def definition(mode: str) -> ComponentDefinition:
    def run(context: JobContext) -> JobOutcome:
        if mode == "crash":
            os._exit(3)
        return JobOutcome(result={"finished_by": os.getpid(), "attempt": context.attempt})

    return ComponentDefinition(
        name="acme",
        title="Acme",
        port=0,
        settings_class=ComponentSettings,
        metadata=MetaData(),
        migrations=Path("."),
        app_factory="none:none",
        jobs={"import": run},
        keeps_tenants=False,
    )


async def main(args: argparse.Namespace) -> None:
    engine = make_engine(args.database_url)
    bus = InMemoryBus()
    await bus.start()
    worker = ComponentWorker(
        definition(args.mode), ComponentSettings(), Runtime(engine=engine, bus=bus, owns_bus=False)
    )
    worker.job_runner.max_attempts = args.max_attempts  # fewer than the default 5: fewer processes to start
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    unfinished = select(func.count()).where(job.c.status.in_(["PENDING", "STARTED"]))
    for _ in range(int(args.lifetime * 10)):
        await asyncio.sleep(0.1)
        with engine.connect() as connection:
            if connection.execute(unfinished).scalar_one() == 0:
                break
    stop.set()
    await running
    await bus.close()
    worker.job_runner.close()
    engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--mode", choices=["crash", "finish"], required=True)
    parser.add_argument("--lifetime", type=float, default=30.0)
    parser.add_argument("--max-attempts", type=int, default=2)
    asyncio.run(main(parser.parse_args()))
