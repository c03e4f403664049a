"""Restaurants: a client's places, each with the time zone its customers' days count in and the
stores of other services whose sales become its visits (`links`). A store is linked to at most one
restaurant of a client (409 `store_already_linked`). A restaurant that still has customers or
campaigns is not deleted (409 `restaurant_in_use`)."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, exists, func, select
from sqlmodel import Session

from crm.models import Campaign, Customer, Restaurant, RestaurantLink
from crm.problems import apply, conflict, get_owned
from crm.schemas import Link, RestaurantCreate, RestaurantPatch, RestaurantPublic


def public(session: Session, restaurant: Restaurant) -> RestaurantPublic:
    return public_many(session, [restaurant])[0]


def public_many(session: Session, restaurants: Sequence[Restaurant]) -> list[RestaurantPublic]:
    """The restaurants with their links, in one query for the links of all."""
    ids = [restaurant.id for restaurant in restaurants]
    links: dict[int, list[Link]] = {id: [] for id in ids if id is not None}
    if ids:
        query = (
            select(RestaurantLink)
            .where(RestaurantLink.restaurant.in_(ids))  # type: ignore[attr-defined]
            .order_by(RestaurantLink.id)  # type: ignore[arg-type]
        )
        for link in session.execute(query).scalars():
            links[link.restaurant].append(Link(service=link.service, store_id=link.store_id))
    return [
        RestaurantPublic(
            id=restaurant.id,  # type: ignore[arg-type]
            name=restaurant.name,
            timezone=restaurant.timezone,
            links=links[restaurant.id],  # type: ignore[index]
            created_at=restaurant.created_at,
            updated_at=restaurant.updated_at,
        )
        for restaurant in restaurants
    ]


def get_restaurant(session: Session, *, client: str, id: int) -> Restaurant:
    return get_owned(session, Restaurant, client=client, id=id, what="Restaurant")


def create_restaurant(session: Session, *, client: str, data: RestaurantCreate, now: datetime) -> Restaurant:
    restaurant = Restaurant(client=client, name=data.name, timezone=data.timezone, created_at=now, updated_at=now)
    session.add(restaurant)
    session.flush()
    _set_links(session, client=client, restaurant=restaurant, links=data.links)
    return restaurant


def update_restaurant(session: Session, *, client: str, id: int, data: RestaurantPatch, now: datetime) -> Restaurant:
    restaurant = get_restaurant(session, client=client, id=id)
    changes = data.changes()
    links = changes.pop("links", None)
    apply(restaurant, changes)
    restaurant.updated_at = now
    session.flush()
    if links is not None:
        _set_links(session, client=client, restaurant=restaurant, links=data.links)
    return restaurant


def delete_restaurant(session: Session, *, client: str, id: int) -> None:
    restaurant = get_restaurant(session, client=client, id=id)
    for model, what in ((Customer, "customers"), (Campaign, "campaigns")):
        if session.execute(select(exists().where(model.restaurant == restaurant.id))).scalar_one():  # type: ignore[attr-defined]
            raise conflict(f"Restaurant {id} still has {what}; delete them first.", "restaurant_in_use")
    session.delete(restaurant)
    session.flush()


def list_restaurants(session: Session, *, client: str, offset: int, limit: int) -> Sequence[Restaurant]:
    query = select(Restaurant).where(Restaurant.client == client).order_by(Restaurant.id)  # type: ignore[arg-type]
    return session.execute(query.offset(offset).limit(limit)).scalars().all()


def count_restaurants(session: Session, *, client: str) -> int:
    return session.execute(select(func.count()).where(Restaurant.client == client)).scalar_one()


def _set_links(session: Session, *, client: str, restaurant: Restaurant, links: Sequence[Link]) -> None:
    """Replace the restaurant's links; a store already linked to another restaurant is a conflict."""
    wanted = {(link.service, link.store_id) for link in links}
    session.execute(delete(RestaurantLink).where(RestaurantLink.restaurant == restaurant.id))  # type: ignore[arg-type]
    for service, store_id in sorted(wanted):
        taken = select(RestaurantLink.restaurant).where(
            RestaurantLink.client == client,  # type: ignore[arg-type]
            RestaurantLink.service == service,  # type: ignore[arg-type]
            RestaurantLink.store_id == store_id,  # type: ignore[arg-type]
        )
        other = session.execute(taken).scalar()
        if other is not None:
            raise conflict(
                f"The {service} store {store_id} is already linked to restaurant {other}.", "store_already_linked"
            )
        session.add(RestaurantLink(client=client, restaurant=restaurant.id, service=service, store_id=store_id))  # type: ignore[arg-type]
    session.flush()
