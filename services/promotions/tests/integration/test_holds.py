"""Holds and purchases on SQLite and PostgreSQL, on a clock moved by the test (no sleeping): a hold,
each refusal's `code`, an expired hold's unit held again without a sweeper, 410 for completing it,
release, the purchase and its event, the per-user limit, Idempotency-Key replays and tenancy."""

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from promotions import holds
from promotions.models import Hold, HoldStatus, Promo
from promotions.schemas_holds import HoldCreate
from quintet_shared.errors import Conflict
from quintet_shared.geo import destination
from quintet_shared.tables import outbox_message

ALMATY = (43.2380, 76.8829)


def profile(api: Any, user: str, *, km: float = 1.0, segments: tuple[str, ...] = ("New users",), **extra: Any) -> None:
    latitude, longitude = destination(*ALMATY, 90, km)
    body = {"email": f"{user}@example.com", "latitude": latitude, "longitude": longitude, "segments": list(segments)}
    answer = api.put(f"/promotions/profiles/{user}", {**body, **extra})
    assert answer.status_code in (200, 201), answer.text


def hold(api: Any, promo_id: int, user: str, **kwargs: Any) -> Any:
    return api.post("/promotions/holds", {"promo_id": promo_id, "user": user}, **kwargs)


def code(answer: Any) -> tuple[int, str | None]:
    assert answer.headers["content-type"] == "application/problem+json", answer.text
    return answer.status_code, answer.json().get("code")


def stock(api: Any, promo_id: int) -> tuple[int, int]:
    with Session(api.engine) as session:
        promo = session.get_one(Promo, promo_id)
        return promo.units_taken, promo.units_sold


def test_a_hold_takes_a_unit_for_sixty_seconds(api: Any, new_promo: Any) -> None:
    promo = new_promo(units=3)
    profile(api, "ana")
    taken = hold(api, promo["id"], "ana")
    assert taken.status_code == 201, taken.text
    body = taken.json()
    assert body == {
        "id": body["id"],
        "promo_id": promo["id"],
        "user": "ana",
        "expires_at": "2026-03-02T10:01:00Z",
        "status": "held",
    }
    assert api.get(f"/promotions/promos/{promo['id']}/stats").json() == {
        "units": 3,
        "held": 1,
        "sold": 0,
        "notified": 0,
    }
    assert api.get("/promotions/promos/running").json()["results"][0]["units_left"] == 2
    assert api.get(f"/promotions/holds/{body['id']}?user=ana").json() == body
    assert stock(api, promo["id"]) == (1, 0)


def test_each_refusal_has_its_code(api: Any, shop: dict[str, Any], new_promo: Any) -> None:
    running = new_promo(units=1, radius_km=5)
    profile(api, "ana")
    profile(api, "ben")
    profile(api, "far", km=6)
    profile(api, "frequent", segments=("Frequent buyers",))
    profile(api, "nowhere", latitude=None, longitude=None)
    for promo, why in (
        (new_promo(active=False), "inactive"),
        (new_promo(starts_at="2026-03-02T10:00:01Z"), "not started"),
        (new_promo(ends_at="2026-03-02T10:00:00Z"), "ended"),
    ):
        refused = hold(api, promo["id"], "ana")
        assert code(refused) == (409, "not_running") and why in refused.json()["detail"]
    for user in ("frequent", "nowhere", "no-profile"):
        assert code(hold(api, running["id"], user)) == (409, "not_eligible"), user
    too_far = hold(api, running["id"], "far")
    assert code(too_far) == (409, "too_far") and "6.000 km" in too_far.json()["detail"]

    assert hold(api, running["id"], "ana").status_code == 201
    assert code(hold(api, running["id"], "ana")) == (409, "already_held")
    assert code(hold(api, running["id"], "ben")) == (409, "sold_out")  # the only unit is held
    assert stock(api, running["id"]) == (1, 0)  # refusals took nothing


def test_an_expired_holds_unit_is_held_again_and_cannot_be_completed(api: Any, new_promo: Any) -> None:
    promo = new_promo(units=1)
    profile(api, "ana")
    profile(api, "ben")
    first = hold(api, promo["id"], "ana").json()
    assert code(hold(api, promo["id"], "ben")) == (409, "sold_out")

    api.clock.advance(timedelta(seconds=60))  # expires_at reached: the unit is no longer ana's
    assert api.get(f"/promotions/holds/{first['id']}?user=ana").json()["status"] == "expired"
    assert api.get("/promotions/promos/running").json()["results"][0]["units_left"] == 1
    second = hold(api, promo["id"], "ben")
    assert second.status_code == 201, second.text  # no sweeper ran: this hold gave the unit back
    assert stock(api, promo["id"]) == (1, 0)
    with Session(api.engine) as session:
        assert session.get_one(Hold, first["id"]).status == HoldStatus.EXPIRED

    gone = api.post(f"/promotions/holds/{first['id']}/complete", {"user": "ana"})
    assert code(gone) == (410, "expired")
    assert code(hold(api, promo["id"], "ana")) == (409, "sold_out")
    api.clock.advance(timedelta(seconds=59))
    bought = api.post(f"/promotions/holds/{second.json()['id']}/complete", {"user": "ben"})
    assert bought.status_code == 201, bought.text
    assert stock(api, promo["id"]) == (1, 1)


def test_completing_buys_at_the_promo_price_and_publishes_the_purchase(
    api: Any, shop: dict[str, Any], new_promo: Any
) -> None:
    promo = new_promo(units=2)
    profile(api, "ana")
    held = hold(api, promo["id"], "ana").json()
    api.clock.advance(timedelta(seconds=30))
    answer = api.post(f"/promotions/holds/{held['id']}/complete", {"user": "ana"})
    assert answer.status_code == 201, answer.text
    purchase = answer.json()
    assert purchase == {
        "id": purchase["id"],
        "hold_id": held["id"],
        "promo_id": promo["id"],
        "user": "ana",
        "amount_cents": 59_900,
        "currency": "KZT",
        "completed_at": "2026-03-02T10:00:30Z",
    }
    assert api.get(f"/promotions/promos/{promo['id']}/stats").json() == {
        "units": 2,
        "held": 0,
        "sold": 1,
        "notified": 0,
    }
    assert api.get(f"/promotions/holds/{held['id']}?user=ana").json()["status"] == "completed"
    assert stock(api, promo["id"]) == (1, 1)

    with Session(api.engine) as session:
        rows = session.execute(select(outbox_message.c.type, outbox_message.c.body)).all()
    events = [json.loads(body) for kind, body in rows if kind == "promotions.purchase.completed"]
    assert len(events) == 1 and events[0]["client"] == "promos"
    assert events[0]["data"] == {
        "purchase_id": purchase["id"],
        "promo_id": promo["id"],
        "store_id": shop["store"]["id"],
        "store_name": "Almaty Central",
        "product_id": shop["product"]["id"],
        "product_name": "Headphones",
        "user": "ana",
        "email": "ana@example.com",
        "amount_cents": 59_900,
        "currency": "KZT",
        "completed_at": "2026-03-02T10:00:30Z",
    }

    again = api.post(f"/promotions/holds/{held['id']}/complete", {"user": "ana"})
    assert code(again) == (409, "already_completed")
    assert code(api.delete(f"/promotions/holds/{held['id']}?user=ana")) == (409, "already_completed")
    assert stock(api, promo["id"]) == (1, 1)


def test_the_last_unit_sold_ends_sales(api: Any, new_promo: Any) -> None:
    promo = new_promo(units=1, per_user_limit=5)
    profile(api, "ana")
    profile(api, "ben")
    held = hold(api, promo["id"], "ana").json()
    assert api.post(f"/promotions/holds/{held['id']}/complete", {"user": "ana"}).status_code == 201
    assert api.get("/promotions/promos/running").json()["count"] == 0
    api.clock.advance(timedelta(hours=1))  # nothing comes back: a sold unit is sold
    assert code(hold(api, promo["id"], "ben")) == (409, "sold_out")


def test_release_gives_the_unit_back(api: Any, new_promo: Any) -> None:
    promo = new_promo(units=1)
    profile(api, "ana")
    profile(api, "ben")
    held = hold(api, promo["id"], "ana").json()
    target = f"/promotions/holds/{held['id']}"
    assert api.delete(f"{target}?user=ben").status_code == 404  # another user's hold
    assert api.delete(f"{target}?user=ana").status_code == 204
    assert api.get(f"{target}?user=ana").json()["status"] == "released"
    assert stock(api, promo["id"]) == (0, 0)
    assert api.delete(f"{target}?user=ana").status_code == 204  # released already: nothing to give back
    assert stock(api, promo["id"]) == (0, 0)
    assert code(api.post(f"{target}/complete", {"user": "ana"})) == (409, "released")
    assert hold(api, promo["id"], "ben").status_code == 201
    assert api.get(f"/promotions/promos/{promo['id']}/stats").json()["held"] == 1


def test_releasing_an_expired_hold_gives_its_unit_back_once(api: Any, new_promo: Any) -> None:
    promo = new_promo(units=1)
    profile(api, "ana")
    held = hold(api, promo["id"], "ana").json()
    api.clock.advance(timedelta(minutes=5))
    assert api.delete(f"/promotions/holds/{held['id']}?user=ana").status_code == 204
    assert stock(api, promo["id"]) == (0, 0)
    assert api.get(f"/promotions/holds/{held['id']}?user=ana").json()["status"] == "expired"


def test_the_per_user_limit_counts_purchases_and_the_live_hold(api: Any, new_promo: Any) -> None:
    promo = new_promo(units=10, per_user_limit=2)
    profile(api, "ana")
    for _ in range(2):
        held = hold(api, promo["id"], "ana")
        assert held.status_code == 201, held.text
        assert code(hold(api, promo["id"], "ana")) == (409, "already_held")
        assert api.post(f"/promotions/holds/{held.json()['id']}/complete", {"user": "ana"}).status_code == 201
    refused = hold(api, promo["id"], "ana")
    assert code(refused) == (409, "limit_reached") and "bought 2 of the 2" in refused.json()["detail"]
    assert stock(api, promo["id"]) == (2, 2)


def test_an_idempotency_key_replays_the_first_answer(api: Any, new_promo: Any) -> None:
    promo = new_promo(units=5)
    other = new_promo(units=5)
    profile(api, "ana")
    profile(api, "ben")
    key = {"Idempotency-Key": "3f1c2a9e-5b7d-4c8e-9f0a-1b2c3d4e5f60"}
    first = hold(api, promo["id"], "ana", headers=key)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    again = hold(api, promo["id"], "ana", headers=key)
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["Idempotent-Replayed"] == "true"
    quoted = hold(api, promo["id"], "ana", headers={"Idempotency-Key": f'"{key["Idempotency-Key"]}"'})
    assert (quoted.status_code, quoted.json()) == (201, first.json())  # the IETF draft's quoted form
    assert stock(api, promo["id"]) == (1, 0)

    for body in ({"promo_id": promo["id"], "user": "ben"}, {"promo_id": other["id"], "user": "ana"}):
        reused = api.post("/promotions/holds", body, headers=key)
        assert code(reused) == (422, "idempotency_key_reused")
    assert stock(api, other["id"]) == (0, 0)

    assert api.delete(f"/promotions/holds/{first.json()['id']}?user=ana").status_code == 204
    later = hold(api, promo["id"], "ana", headers=key)  # still the first answer, not a second unit
    assert (later.status_code, later.json()) == (201, first.json())
    assert stock(api, promo["id"]) == (0, 0)


def test_a_refused_hold_stores_nothing_so_its_key_is_tried_afresh(api: Any, new_promo: Any) -> None:
    promo = new_promo(units=1)
    profile(api, "ana")
    profile(api, "ben")
    ana = hold(api, promo["id"], "ana").json()
    key = {"Idempotency-Key": "ben-take-1"}
    assert code(hold(api, promo["id"], "ben", headers=key)) == (409, "sold_out")
    assert api.delete(f"/promotions/holds/{ana['id']}?user=ana").status_code == 204
    retried = hold(api, promo["id"], "ben", headers=key)
    assert retried.status_code == 201, retried.text
    assert hold(api, promo["id"], "ben", headers=key).json() == retried.json()


@pytest.mark.parametrize("key", ["", "with space", "x" * 201, 'a"b', "é".encode("latin-1")])
def test_a_malformed_idempotency_key_is_422(api: Any, new_promo: Any, key: str | bytes) -> None:
    promo = new_promo()
    profile(api, "ana")
    answer = hold(api, promo["id"], "ana", headers={"Idempotency-Key": key})
    assert code(answer) == (422, None), key
    assert stock(api, promo["id"]) == (0, 0)


def test_another_clients_or_users_hold_is_404(api: Any, new_promo: Any) -> None:
    promo = new_promo(units=2)
    profile(api, "ana")
    held = hold(api, promo["id"], "ana").json()
    target = f"/promotions/holds/{held['id']}"
    for answer in (
        api.get(f"{target}?user=ana", client="rival"),
        api.post(f"{target}/complete", {"user": "ana"}, client="rival"),
        api.delete(f"{target}?user=ana", client="rival"),
        api.get(f"{target}?user=ben"),
        api.post(f"{target}/complete", {"user": "ben"}),
        api.post("/promotions/holds/999999/complete", {"user": "ana"}),
        api.post(f"/promotions/holds/{2**31}/complete", {"user": "ana"}),
        api.get(f"/promotions/holds/{2**63}?user=ana"),
        api.delete("/promotions/holds/0?user=ana"),
    ):
        assert code(answer) == (404, None), answer.request.url
    rival = hold(api, promo["id"], "ana", client="rival")  # another client's promo is none of its own
    assert code(rival)[0] == 422 and rival.json()["errors"][0]["loc"] == ["body", "promo_id"]
    assert stock(api, promo["id"]) == (1, 0)
    assert api.post(f"{target}/complete", {"user": "ana"}).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"user": "ana"},
        {"promo_id": 1},
        {"promo_id": "1", "user": "ana"},
        {"promo_id": 1.5, "user": "ana"},
        {"promo_id": True, "user": "ana"},
        {"promo_id": 1, "user": 5},
        {"promo_id": 1, "user": ""},
        {"promo_id": 1, "user": "a" * 201},
        {"promo_id": 1, "user": None},
        {"promo_id": 0, "user": "ana"},
        {"promo_id": 2**31, "user": "ana"},
        {"promo_id": 10**30, "user": "ana"},
        {"promo_id": 999_999, "user": "ana"},
        {"promo_id": 1, "user": "ana", "units": 5},
        {"promo_id": 1, "user": "a\x00b"},
        [],
        "hold",
    ],
)
def test_bad_hold_bodies_are_422(api: Any, new_promo: Any, body: Any) -> None:
    new_promo()
    answer = api.post("/promotions/holds", body)
    assert code(answer)[0] == 422, answer.text


def test_bad_complete_and_release_requests_are_4xx(api: Any, new_promo: Any) -> None:
    promo = new_promo()
    profile(api, "ana")
    held = hold(api, promo["id"], "ana").json()
    target = f"/promotions/holds/{held['id']}"
    for answer in (
        api.post(f"{target}/complete"),
        api.post(f"{target}/complete", {}),
        api.post(f"{target}/complete", {"user": 1}),
        api.post(f"{target}/complete", {"user": "ana", "extra": 1}),
        api.delete(target),
        api.delete(f"{target}?user="),
        api.get(target),
    ):
        assert code(answer)[0] == 422, (answer.request.url, answer.text)
    for answer in (  # an id that is not digits matches no route
        api.post("/promotions/holds/abc/complete", {"user": "ana"}),
        api.delete("/promotions/holds/1.5?user=ana"),
        api.get("/promotions/holds/-1?user=ana"),
    ):
        assert code(answer)[0] == 404, (answer.request.url, answer.text)
    assert api.get(f"{target}?user=ana").json()["status"] == "held"


@pytest.fixture
def five_second_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMOTIONS_HOLD_SECONDS", "5")


def test_hold_seconds_is_a_setting(five_second_holds: None, api: Any, new_promo: Any) -> None:
    promo = new_promo()
    profile(api, "ana")
    held = hold(api, promo["id"], "ana").json()
    assert held["expires_at"] == "2026-03-02T10:00:05Z"
    api.clock.advance(timedelta(seconds=5))
    assert code(api.post(f"/promotions/holds/{held['id']}/complete", {"user": "ana"})) == (410, "expired")


def test_units_of_expired_holds_come_back_once_to_concurrent_holds(api: Any, new_promo: Any) -> None:
    """Ten expired holds, thirty holds at once: exactly ten are taken, whichever transaction gives
    the expired units back (each hold is flipped once; the others wait for it, then take)."""
    promo = new_promo(units=10)
    for i in range(40):
        profile(api, f"user-{i}")
    for i in range(10):
        assert hold(api, promo["id"], f"user-{i}").status_code == 201
    later = api.clock.now + timedelta(seconds=61)
    start = threading.Barrier(30)

    def take(user: str) -> str:
        start.wait()
        with Session(api.engine) as session:
            try:
                data = HoldCreate(promo_id=promo["id"], user=user)
                holds.take_hold(session, client="promos", data=data, key=None, now=later, hold_seconds=60)
                session.commit()
                return "held"
            except Conflict as refused:
                return refused.code or ""

    with ThreadPoolExecutor(30) as pool:
        outcomes = Counter(pool.map(take, [f"user-{i}" for i in range(10, 40)]))
    assert outcomes == {"held": 10, "sold_out": 20}
    assert stock(api, promo["id"]) == (10, 0)
    with Session(api.engine) as session:
        statuses = Counter(session.execute(select(Hold.status).where(Hold.promo_id == promo["id"])).scalars())
    assert statuses == {HoldStatus.EXPIRED: 10, HoldStatus.HELD: 10}
