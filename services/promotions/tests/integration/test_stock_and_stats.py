"""GET /promotions/promos/{id}/stats counts what the tables hold (live holds, purchases, users
notified); `units` never drops below what is sold or held; a promo with purchases is kept. Holds,
purchases and notifications are written here directly, as their own use cases will."""

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import Session

from promotions.models import Hold, HoldStatus, Notification, NotificationStatus, Promo, Purchase


def add_hold(api: Any, promo_id: int, user: str, *, expires_in: timedelta, status: HoldStatus = HoldStatus.HELD) -> int:
    now = api.clock.now
    with Session(api.engine) as session:
        hold = Hold(
            client="promos", promo_id=promo_id, user=user, status=status, created_at=now, expires_at=now + expires_in
        )
        session.add(hold)
        session.execute(update(Promo).where(Promo.id == promo_id).values(units_taken=Promo.units_taken + 1))
        session.commit()
        assert hold.id is not None
        return hold.id


def sell(api: Any, promo_id: int, hold_id: int, user: str) -> None:
    with Session(api.engine) as session:
        session.execute(update(Hold).where(Hold.id == hold_id).values(status=HoldStatus.COMPLETED))
        session.execute(update(Promo).where(Promo.id == promo_id).values(units_sold=Promo.units_sold + 1))
        session.add(
            Purchase(
                client="promos",
                hold_id=hold_id,
                promo_id=promo_id,
                user=user,
                amount_cents=59_900,
                currency="KZT",
                completed_at=api.clock.now,
            )
        )
        session.commit()


def test_stats_count_live_holds_purchases_and_notifications(api: Any, new_promo: Any) -> None:
    promo = new_promo(units=10)
    target = f"/promotions/promos/{promo['id']}/stats"
    assert api.get(target).json() == {"units": 10, "held": 0, "sold": 0, "notified": 0}

    add_hold(api, promo["id"], "live", expires_in=timedelta(seconds=60))
    add_hold(api, promo["id"], "expired", expires_in=timedelta(seconds=-1))
    sell(api, promo["id"], add_hold(api, promo["id"], "buyer", expires_in=timedelta(seconds=30)), "buyer")
    with Session(api.engine) as session:
        day = api.clock.now.date()
        for user, status in (
            ("a", NotificationStatus.SENT),
            ("b", NotificationStatus.SENT),
            ("c", NotificationStatus.PENDING),
        ):
            session.add(
                Notification(
                    client="promos", promo_id=promo["id"], user=user, day=day, status=status, created_at=api.clock.now
                )
            )
        session.commit()
    assert api.get(target).json() == {"units": 10, "held": 1, "sold": 1, "notified": 2}

    api.clock.advance(timedelta(seconds=61))  # the live hold expires: its unit is back, no sweeper ran
    assert api.get(target).json()["held"] == 0
    running = api.get("/promotions/promos/running").json()["results"][0]
    assert (running["units"], running["units_left"]) == (10, 9)


def test_units_never_drop_below_what_is_sold_or_held(api: Any, new_promo: Any) -> None:
    promo = new_promo(units=5)
    target = f"/promotions/promos/{promo['id']}"
    sell(api, promo["id"], add_hold(api, promo["id"], "buyer", expires_in=timedelta(seconds=30)), "buyer")
    add_hold(api, promo["id"], "holder", expires_in=timedelta(seconds=30))
    add_hold(api, promo["id"], "gone", expires_in=timedelta(seconds=-5))

    refused = api.patch(target, {"units": 1})
    assert refused.status_code == 409 and refused.json()["code"] == "units_below_taken", refused.text
    assert api.get(target).json()["units"] == 5

    lowered = api.patch(target, {"units": 2})  # one sold, one held; the expired hold gives its unit back
    assert lowered.status_code == 200, lowered.text
    assert lowered.json()["units"] == 2
    with Session(api.engine) as session:
        row = session.get_one(Promo, promo["id"])
        assert (row.units, row.units_taken, row.units_sold) == (2, 2, 1)
        statuses = dict(session.execute(select(Hold.user, Hold.status)).all())
        assert statuses["gone"] == HoldStatus.EXPIRED and statuses["holder"] == HoldStatus.HELD
    raised = api.patch(target, {"units": 1000})
    assert raised.status_code == 200 and raised.json()["units"] == 1000


def test_a_promo_with_purchases_is_kept_and_one_without_goes_with_its_holds(api: Any, new_promo: Any) -> None:
    sold = new_promo()
    sell(api, sold["id"], add_hold(api, sold["id"], "buyer", expires_in=timedelta(seconds=30)), "buyer")
    refused = api.delete(f"/promotions/promos/{sold['id']}")
    assert refused.status_code == 409 and refused.json()["code"] == "promo_has_purchases"
    assert api.patch(f"/promotions/promos/{sold['id']}", {"active": False}).json()["active"] is False

    held = new_promo()
    add_hold(api, held["id"], "holder", expires_in=timedelta(seconds=30))
    with Session(api.engine) as session:
        session.add(
            Notification(
                client="promos", promo_id=held["id"], user="holder", day=api.clock.now.date(), created_at=api.clock.now
            )
        )
        session.commit()
    assert api.delete(f"/promotions/promos/{held['id']}").status_code == 204
    with Session(api.engine) as session:
        assert session.execute(select(func.count()).where(Hold.promo_id == held["id"])).scalar_one() == 0
        assert session.execute(select(func.count()).select_from(Notification)).scalar_one() == 0
