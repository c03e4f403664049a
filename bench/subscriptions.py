"""Subscriptions in distributed mode (PostgreSQL, RabbitMQ, the sandbox): issue 9's Acceptance 5.

    python bench/subscriptions.py [--sms-subscribers 100000] [--sms-concurrency 64] [--sms-baseline-messages N]

Starts the distributed platform (`make up`: a process per API and worker, the gateway, the sandbox)
on its own port base, database prefix and bus namespace, as bench/events.py does (its helpers are
reused), then runs each section, which prints its figures beside its baseline:
- the daily SMS (bench/subscriptions_sms.py): 100,000 paid subscribers, the daily run against the
  sandbox's three gateways, every message delivered once; beside a bare httpx client posting the same
  messages at the same concurrency. Target >= 1,000 SMS/s.
Prints PASS/FAIL lines and a final JSON line. Everything is stopped, and the databases and broker
entities dropped, at the end; each process gets a 4 GiB address-space limit.
"""

import argparse
import asyncio
import importlib.util
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

# Run as a script, this file's folder comes first on sys.path, and bench/gateway.py would shadow the
# `gateway` package the platform imports.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

from quintet_platform import distributed  # noqa: E402


def _sibling(name: str) -> ModuleType:
    """Another bench script as a module (by its file: this folder is not on sys.path, see above)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", _HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


events = _sibling("events")
sms = _sibling("subscriptions_sms")


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def bench(args: argparse.Namespace) -> bool:
    run = uuid.uuid4().hex[:6]
    admin_token = secrets.token_hex(16)
    # The platform's processes inherit these.
    os.environ.update(GATEWAY_SECRET=secrets.token_hex(16), GATEWAY_ADMIN_TOKEN=admin_token)
    os.environ.update(sms.platform_environment(args.sms_concurrency))
    plan = distributed.Plan(
        state_dir=Path(tempfile.mkdtemp(prefix="subscriptions-bench-")),
        port_base=events.free_port_base(),
        postgres_url=events.POSTGRES,
        database_prefix=f"bench_{run}",
        amqp_url=events.AMQP,
        bus_namespace=f"bench-{run}",
    )
    print(f"load average before: {load()}")
    figures: dict[str, Any] = {"load_before": round(os.getloadavg()[0], 2)}
    checks: list[tuple[str, bool]] = []
    try:
        started = time.monotonic()
        distributed.up(plan, timeout=240)
        print(f"platform up in {time.monotonic() - started:.0f} s (port base {plan.port_base}, namespace {run})")
        gateway_url = f"http://127.0.0.1:{plan.port_base}"

        print(f"\nthe daily SMS of {args.sms_subscribers:,} paid subscribers; load {load()}")
        found, passed = sms.sms_section(
            plan,
            gateway_url,
            admin_token,
            subscribers=args.sms_subscribers,
            concurrency=args.sms_concurrency,
            baseline_messages=args.sms_baseline_messages,
        )
        figures.update(found)
        checks += passed

        print(f"\nload average after: {load()}")
        for name, ok in checks:
            print(f"{'PASS' if ok else 'FAIL'}  {name}")
        print(json.dumps(figures))
        return all(ok for _, ok in checks)
    finally:
        distributed.down(plan.state_dir)
        events.drop_databases(plan)
        asyncio.run(events.delete_bus_entities(plan.bus_namespace))
        shutil.rmtree(plan.state_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sms-subscribers", type=int, default=100_000, help="paid subscribers of the daily SMS")
    parser.add_argument(
        "--sms-concurrency", type=int, default=64, help="SMS requests in flight (and the bare client's)"
    )
    parser.add_argument(
        "--sms-baseline-messages", type=int, default=None, help="messages each bare client posts (default: all)"
    )
    args = parser.parse_args()
    events.limit_address_space()
    sys.exit(0 if bench(args) else 1)


if __name__ == "__main__":
    main()
