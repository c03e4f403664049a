"""Issue 10, acceptance 5: the dashboard in a real browser. Debian's headless Chromium, driven by Playwright,
signs in at the gateway of `quintet run`, runs a campaign, watches its counts move without reloading,
pauses it (nothing more is sent), resumes it until it completes, and pages through its events.
Screenshots of each step go to test-artifacts/crm-dashboard/ (not committed).

The campaign is made slow on purpose so that a person could watch it: small batches, two SMTP
connections, and the sandbox's SMTP sink answering each message after 30 ms.
"""

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, sync_playwright

from quintet_shared.testing.ports import free_port_pair

ROOT = Path(__file__).resolve().parents[4]
ARTIFACTS = ROOT / "test-artifacts" / "crm-dashboard"
CHROMIUM = "/usr/bin/chromium"  # Debian's package (.ci/run installs it); Playwright never downloads one
SANDBOX_OFFSET = 9  # the sandbox of `quintet run --port P` listens on P + 9 (quintet_platform.components)
CUSTOMERS = 300
BATCH = 20


def until(predicate: Callable[[], Any], *, within: float, what: str) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            result = predicate()
            if result:
                return result
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what} not within {within} s")


@dataclass
class Platform:
    url: str
    sandbox: str
    admin: dict[str, str]


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    if not Path(CHROMIUM).exists() and os.environ.get("REQUIRE_INTEGRATION") != "1":
        pytest.skip(f"no {CHROMIUM}: apt-get install chromium")
    workdir = tmp_path_factory.mktemp("dashboard")
    port = free_port_pair(SANDBOX_OFFSET)
    token = secrets.token_urlsafe(16)
    env = {k: v for k, v in os.environ.items() if k != "AMQP_URL" and not k.endswith("_DATABASE_URL")}
    env.update(
        GATEWAY_ADMIN_TOKEN=token,
        LOG_LEVEL="WARNING",
        CRM_CAMPAIGN_BATCH_SIZE=str(BATCH),
        CRM_SMTP_CONNECTIONS="2",
    )
    log = (workdir / "quintet.log").open("wb")
    quintet = str(Path(sys.executable).with_name("quintet"))
    process = subprocess.Popen(
        [quintet, "run", "--port", str(port)], cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        until(lambda: httpx.get(f"{url}/health", timeout=2).status_code == 200, within=90, what="quintet run")
        yield Platform(url, f"http://127.0.0.1:{port + SANDBOX_OFFSET}", {"Authorization": f"Bearer {token}"})
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


@dataclass
class Setup:
    app_id: str
    campaign_id: int


@pytest.fixture(scope="module")
def campaign(platform: Platform) -> Setup:
    """A client with a restaurant, customers who never visited, and a draft campaign for them."""
    body = {"code": "bistro", "name": "Bistro group", "services": ["crm"], "rate_limit_per_minute": 100_000}
    created = httpx.post(f"{platform.url}/admin/clients", json=body, headers=platform.admin, timeout=10)
    assert created.status_code == 201, created.text
    app_id = created.json()["app_id"]
    api = httpx.Client(base_url=f"{platform.url}/crm", headers={"X-App-Id": app_id}, timeout=10)
    until(lambda: api.get("/tenant").status_code == 200, within=30, what="crm knowing the client")
    restaurant = api.post("/restaurants", json={"name": "La Bodega", "timezone": "Europe/Madrid"})
    assert restaurant.status_code == 201, restaurant.text
    restaurant_id = restaurant.json()["id"]
    lines = ["restaurant,email,first_name,last_name"]
    lines += [f"{restaurant_id},guest{n}@bodega.test,Guest{n},Diaz" for n in range(CUSTOMERS)]
    csv = ("\n".join(lines) + "\n").encode()
    queued = api.post("/customers/files", files={"file": ("customers.csv", csv, "text/csv")})
    assert queued.status_code == 202, queued.text
    job = f"{platform.url}{queued.json()['status_url']}"
    until(lambda: api.get(job).json()["status"] == "SUCCESS", within=60, what="the customers imported")
    draft = {
        "restaurant": restaurant_id,
        "name": "We miss you",
        "segment_type": "inactive",
        "segment_value": 30,
        "message_template": "Hello {first_name}, come back to {restaurant}!",
    }
    made = api.post("/campaigns", json=draft)
    assert made.status_code == 201, made.text
    slow = {"failure_rate": 0, "latency_ms": 30, "down": False}
    assert httpx.put(f"{platform.sandbox}/sandbox/smtp/behaviour", json=slow, timeout=10).status_code == 200
    return Setup(app_id, made.json()["id"])


def count(page: Page, campaign_id: int, name: str) -> int:
    return int(page.inner_text(f"tr[data-campaign='{campaign_id}'] [data-count='{name}']"))


def status(page: Page, campaign_id: int) -> str:
    return page.inner_text(f"tr[data-campaign='{campaign_id}'] [data-status]")


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sink_received(platform: Platform) -> int:
    return httpx.get(f"{platform.sandbox}/sandbox/smtp/stats", timeout=10).json()["received"]


def test_sign_in_run_watch_pause_resume_in_chromium(platform: Platform, campaign: Setup) -> None:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    cid = campaign.campaign_id
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{platform.url}/login?next=/crm/dashboard")
            shot(page, "01-sign-in")
            page.fill("#app_id", campaign.app_id)
            page.click("button[type=submit]")
            page.wait_for_url(f"{platform.url}/crm/dashboard")
            page.wait_for_selector("body[data-live='yes']")  # the live counts are connected
            assert status(page, cid) == "draft" and count(page, cid, "total") == 0
            shot(page, "02-dashboard")

            page.click(f"button[data-action='run'][data-campaign='{cid}']")
            until(lambda: count(page, cid, "sent") > 0, within=30, what="the first messages counted")
            assert status(page, cid) == "running"
            first = count(page, cid, "sent")
            shot(page, "03-running")
            until(lambda: count(page, cid, "sent") >= first + 2 * BATCH, within=30, what="the counts moving")
            assert count(page, cid, "total") == CUSTOMERS  # every customer has an event, queued or sent
            shot(page, "04-counts-moved")

            page.click(f"button[data-action='pause'][data-campaign='{cid}']")
            until(lambda: status(page, cid) == "paused", within=10, what="paused")
            # The batch in flight finishes; after it, nothing more is sent until resume.
            settled = until(_settled(platform), within=15, what="sending to stop")
            paused_sent = count(page, cid, "sent")
            time.sleep(1.5)
            assert sink_received(platform) == settled
            assert count(page, cid, "sent") == paused_sent < CUSTOMERS
            assert page.is_enabled(f"button[data-action='resume'][data-campaign='{cid}']")
            shot(page, "05-paused")

            page.click(f"button[data-action='resume'][data-campaign='{cid}']")
            until(lambda: count(page, cid, "sent") > paused_sent, within=30, what="sending again")
            until(lambda: status(page, cid) == "completed", within=90, what="the campaign completed")
            assert count(page, cid, "sent") == CUSTOMERS and count(page, cid, "queued") == 0
            assert sink_received(platform) == CUSTOMERS  # every message once, pause and all
            shot(page, "06-completed")

            page.click(f"tr[data-campaign='{cid}'] a")
            page.wait_for_selector("#events")
            assert page.locator("#events tbody tr").count() == 50
            shot(page, "07-events-page-1")
            page.click("a[rel=next]")
            page.wait_for_url(f"**/crm/dashboard/campaigns/{cid}?page=2")
            assert page.locator("#events tbody tr").count() == 50
            shot(page, "08-events-page-2")
        finally:
            browser.close()
    assert len(list(ARTIFACTS.glob("*.png"))) == 8


def _settled(platform: Platform) -> Callable[[], int | None]:
    """The sink's count once it has not moved for a second (None until then)."""
    seen: dict[str, Any] = {"value": -1, "since": time.monotonic()}

    def check() -> int | None:
        value = sink_received(platform)
        now = time.monotonic()
        if value != seen["value"]:
            seen.update(value=value, since=now)
            return None
        return value if now - seen["since"] >= 1.0 else None

    return check
