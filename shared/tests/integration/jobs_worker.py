"""A job worker process for the crash acceptance test (test_jobs_crash.py), run by path.

It consumes `acme.jobs` on RabbitMQ with a JobRunner whose one job function, `import`, first
writes `started-<pid>` in the work directory, then either hangs (mode `hang`: it is meant to be
killed) or finishes (mode `finish`). Once it consumes, it writes `ready-<pid>`. It never outlives
`--lifetime` seconds, so a failed test leaves no process behind for long.
"""

import argparse
import asyncio
import os
import signal
import time
from contextlib import suppress
from pathlib import Path

from quintet_shared.bus.rabbit import RabbitBus
from quintet_shared.db import make_engine
from quintet_shared.jobs import JobContext, JobFunc, JobOutcome, JobRunner

SERVICE = "acme"


def import_function(mode: str, workdir: Path, lifetime: float) -> JobFunc:
    def run(context: JobContext) -> JobOutcome:
        (workdir / f"started-{os.getpid()}").write_text(f"attempt {context.attempt}")
        if mode == "hang":
            time.sleep(lifetime)  # killed long before this ends
            raise RuntimeError("the hanging worker was never killed")
        return JobOutcome(result={"finished_by": os.getpid()})

    return run


async def main(args: argparse.Namespace) -> None:
    workdir = Path(args.workdir)
    engine = make_engine(args.database_url)
    function = import_function(args.mode, workdir, args.lifetime)
    runner = JobRunner(engine, service=SERVICE, functions={"import": function})
    bus = RabbitBus(args.amqp_url, namespace=args.namespace)
    await bus.start()
    await bus.consume(runner.queue, runner.bindings, runner.handler)
    (workdir / f"ready-{os.getpid()}").touch()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    with suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=args.lifetime)
    await bus.close()
    runner.close()
    engine.dispose()


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--amqp-url", required=True)
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--mode", choices=["hang", "finish"], required=True)
    parser.add_argument("--lifetime", type=float, default=60.0)
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(arguments()))
