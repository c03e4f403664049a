"""No full scan of profiles, stores or promos: the planner of each database can read the profiles of
a promo's radius, the stores around a user and the running promos through their indexes (the
prefilters are index ranges, not expressions to compute on every row)."""

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, exists, insert, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from promotions.eligibility import in_box, profiles_in_reach
from promotions.models import Product, Profile, ProfileSegment, Promo, PromoSegment, Segment, Store
from promotions.running import running, running_rows
from quintet_shared.geo import bounding_box, destination

NOW = datetime(2026, 3, 2, 10, tzinfo=UTC)
STORES = 40
PROFILES_PER_STORE = 100


def fill(engine: Engine) -> None:
    """40 stores around the world, 100 profiles within 5 km of each, a promo per store (most ended)."""
    rng = random.Random(7)
    with Session(engine) as session:
        segment = Segment(client="promos", name="New users", created_at=NOW, updated_at=NOW)
        session.add(segment)
        session.flush()
        profiles, links, promos = [], [], []
        for n in range(STORES):
            lat, lon = rng.uniform(-60, 60), rng.uniform(-180, 180)
            store = Store(
                client="promos",
                name=f"s{n}",
                latitude=lat,
                longitude=lon,
                timezone="UTC",
                created_at=NOW,
                updated_at=NOW,
            )
            session.add(store)
            session.flush()
            product = Product(
                client="promos",
                store_id=store.id,
                name="p",
                regular_price_cents=100,
                currency="EUR",
                created_at=NOW,
                updated_at=NOW,
            )
            session.add(product)
            session.flush()
            for k in range(10):
                ends = NOW + timedelta(hours=1) if k == 0 else NOW - timedelta(days=k)
                promos.append(
                    {
                        "client": "promos",
                        "product_id": product.id,
                        "promo_price_cents": 50,
                        "starts_at": ends - timedelta(hours=3),
                        "ends_at": ends,
                        "radius_km": 2.0,
                        "units": 1,
                        "per_user_limit": 1,
                        "active": True,
                        "units_taken": 0,
                        "units_sold": 0,
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                )
            for k in range(PROFILES_PER_STORE):
                at = destination(lat, lon, rng.uniform(0, 360), rng.uniform(0, 5))
                profiles.append(
                    {
                        "client": "promos",
                        "user": f"u{n}-{k}",
                        "latitude": at[0],
                        "longitude": at[1],
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                )
        session.execute(insert(Profile), profiles)
        session.execute(insert(Promo), promos)
        ids = session.execute(select(Profile.id)).scalars().all()
        links = [{"profile_id": id, "segment_id": segment.id} for id in ids]
        session.execute(insert(ProfileSegment), links)
        promo_ids = session.execute(select(Promo.id)).scalars().all()
        session.execute(insert(PromoSegment), [{"promo_id": id, "segment_id": segment.id} for id in promo_ids])
        session.commit()
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()


def plan(engine: Engine, query: object) -> str:
    sql = str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))  # type: ignore[attr-defined]
    explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            # Test tables fit in a page or two, where a sequential scan is the right choice; what is
            # checked is that an index path exists for the planner to take on large tables.
            connection.exec_driver_sql("SET enable_seqscan = off")
        rows = connection.exec_driver_sql(explain + sql).all()
    return "\n".join(" ".join(str(part) for part in row) for row in rows)


def test_the_prefilters_use_the_indexes(engine: Engine) -> None:
    fill(engine)
    with Session(engine) as session:
        store = session.execute(select(Store).order_by(Store.id)).scalars().first()
        segment_ids = session.execute(select(Segment.id)).scalars().all()
    assert store is not None

    reach = profiles_in_reach(
        client="promos", segment_ids=segment_ids, latitude=store.latitude, longitude=store.longitude, radius_km=2
    )
    profiles_plan = plan(engine, reach)
    assert "ix_profile_client_latitude_longitude" in profiles_plan, profiles_plan
    assert "SCAN profile\n" not in profiles_plan + "\n" and "Seq Scan on profile " not in profiles_plan, profiles_plan

    box = bounding_box(store.latitude, store.longitude, 2)
    shares = exists().where(PromoSegment.promo_id == Promo.id, PromoSegment.segment_id.in_(segment_ids))
    around = running_rows(
        and_(running("promos", NOW), shares, Store.client == "promos", in_box(Store.latitude, Store.longitude, box))
    )
    around_plan = plan(engine, around)
    assert "Seq Scan on promo" not in around_plan and "SCAN promo\n" not in around_plan + "\n", around_plan
    assert "ix_promo_client_ends_at" in around_plan or "ix_store_client_latitude_longitude" in around_plan, around_plan

    running_plan = plan(engine, running_rows(running("promos", NOW)))
    assert "ix_promo_client_ends_at" in running_plan, running_plan
