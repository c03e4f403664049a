"""The `promos` demo client's data, as `quintet run` seeds it at every start: the Flash Promos demo in
the promotions service's database, with promos running, and nothing added the second time."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from promotions import eligibility, products, profiles, promos, running, segments, stores
from promotions.demo import Seeded
from promotions.models import Product, Promo, Store
from quintet_platform.components import definition
from quintet_platform.demo import PROMOS_CLIENT, seed_demo_data
from quintet_shared.db import make_engine, session_scope
from quintet_shared.migrations import upgrade

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
EVERYTHING = Seeded(segments=2, stores=3, products=20, profiles=18, promos=6)


@pytest.fixture
def engines(database_url: str) -> Iterator[dict[str, Engine]]:
    """A fresh promotions database, migrated, as embedded mode hands it to the seeding."""
    upgrade(definition("promotions").migrations, database_url)
    engine = make_engine(database_url)
    yield {"promotions": engine}
    engine.dispose()


def counts(engine: Engine, now: datetime) -> dict[str, int]:
    with session_scope(engine) as session:
        return {
            "segments": segments.count_segments(session, client=PROMOS_CLIENT),
            "stores": stores.count_stores(session, client=PROMOS_CLIENT),
            "products": products.count_products(session, client=PROMOS_CLIENT),
            "profiles": profiles.count_profiles(session, client=PROMOS_CLIENT),
            "promos": promos.count_promos(session, client=PROMOS_CLIENT),
            "running": running.count_running(session, client=PROMOS_CLIENT, now=now),
        }


def test_a_fresh_database_gets_the_flash_promos_demo(engines: dict[str, Engine]) -> None:
    assert seed_demo_data(engines, now=NOW) == EVERYTHING
    assert counts(engines["promotions"], NOW) == {
        "segments": 2,
        "stores": 3,
        "products": 20,
        "profiles": 18,
        "promos": 6,
        "running": 6,
    }
    with session_scope(engines["promotions"]) as session:
        names = [s.name for s in segments.list_segments(session, client=PROMOS_CLIENT, offset=0, limit=10)]
        assert sorted(names) == ["Frequent buyers", "New users"]
        users = profiles.list_profiles(session, client=PROMOS_CLIENT, offset=0, limit=100)
        for name in names:  # some users in each segment
            assert sum(name in user.segments for user in users) >= 3, name
        assert any(user.latitude is None and user.longitude is None for user in users)
        assert any(not user.segments for user in users)
        # Each store sells some of the twenty products.
        per_store = session.execute(
            select(Store.name, func.count(Product.id)).join(Product, Product.store_id == Store.id).group_by(Store.name)
        ).all()
        assert len(per_store) == 3 and all(count >= 6 for _name, count in per_store)
        on_sale = running.list_running(session, client=PROMOS_CLIENT, now=NOW, offset=0, limit=100)
        assert all(item.units > 1 and item.units_left == item.units for item in on_sale)
        assert all(item.starts_at < NOW < item.ends_at for item in on_sale)
        assert len({item.store_id for item in on_sale}) == 3
        # The README's walkthrough user may take promos of two stores; a user without a location none.
        alice = eligibility.eligible_promos(session, client=PROMOS_CLIENT, user="alice", now=NOW)
        assert len(alice) == 5 and alice[0].distance_km < 0.5
        assert len({item.store_id for item in alice}) >= 2
        assert eligibility.eligible_promos(session, client=PROMOS_CLIENT, user="quinn", now=NOW) == []
        assert eligibility.eligible_promos(session, client=PROMOS_CLIENT, user="dana", now=NOW) == []


def test_seeding_again_adds_nothing_while_its_promos_run(engines: dict[str, Engine]) -> None:
    seed_demo_data(engines, now=NOW)
    before = counts(engines["promotions"], NOW)
    assert seed_demo_data(engines, now=NOW) == Seeded()
    assert seed_demo_data(engines, now=NOW + timedelta(hours=3)) == Seeded()  # a restart while they run
    assert counts(engines["promotions"], NOW) == before


def test_a_start_after_the_promos_ended_adds_fresh_ones_only(engines: dict[str, Engine]) -> None:
    seed_demo_data(engines, now=NOW)
    days_later = NOW + timedelta(days=3)
    assert counts(engines["promotions"], days_later)["running"] == 0
    assert seed_demo_data(engines, now=days_later) == Seeded(promos=6)
    assert counts(engines["promotions"], days_later) == {
        "segments": 2,
        "stores": 3,
        "products": 20,
        "profiles": 18,
        "promos": 12,
        "running": 6,
    }
    with session_scope(engines["promotions"]) as session:
        assert eligibility.eligible_promos(session, client=PROMOS_CLIENT, user="alice", now=days_later)
    assert seed_demo_data(engines, now=days_later + timedelta(minutes=1)) == Seeded()


def test_a_demo_switched_off_by_hand_gets_promos_again_and_edits_are_kept(engines: dict[str, Engine]) -> None:
    seed_demo_data(engines, now=NOW)
    with session_scope(engines["promotions"]) as session:
        session.execute(Promo.__table__.update().values(active=False))  # type: ignore[attr-defined]
        session.execute(Store.__table__.update().where(Store.name == "Hillside Deli").values(latitude=43.0))  # type: ignore[attr-defined]
    assert seed_demo_data(engines, now=NOW + timedelta(minutes=1)) == Seeded(promos=6)
    with session_scope(engines["promotions"]) as session:
        moved = session.execute(select(Store.latitude).where(Store.name == "Hillside Deli")).scalar_one()
    assert moved == 43.0


def test_another_client_is_untouched(engines: dict[str, Engine]) -> None:
    seed_demo_data(engines, now=NOW)
    with session_scope(engines["promotions"]) as session:
        assert stores.count_stores(session, client="demo") == 0
        assert running.count_running(session, client="demo", now=NOW) == 0
