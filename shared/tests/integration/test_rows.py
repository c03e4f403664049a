"""quintet_shared.rows on SQLite and PostgreSQL: a client finds its own rows only; another client's
row is 404 by path and 422 naming the field by body; out-of-range ids name nothing."""

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session

from quintet_shared.db import make_engine, model_base
from quintet_shared.errors import NotFound, Problem
from quintet_shared.rows import MAX_ID, apply, get_owned, owned, owned_in_body

RowsModel = model_base("RowsModel")


class Thing(RowsModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64)
    name: str = Field(max_length=50)


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    engine: Engine = make_engine(database_url)
    RowsModel.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    RowsModel.metadata.drop_all(engine)
    engine.dispose()


def test_a_client_finds_only_its_own_rows(session: Session) -> None:
    mine, theirs = Thing(client="a", name="mine"), Thing(client="b", name="theirs")
    session.add_all([mine, theirs])
    session.flush()
    assert mine.id is not None and theirs.id is not None
    assert owned(session, Thing, client="a", id=mine.id) is mine
    assert owned(session, Thing, client="a", id=theirs.id) is None
    for id in (0, -1, MAX_ID + 1):
        assert owned(session, Thing, client="a", id=id) is None

    with pytest.raises(NotFound, match=f"Thing {theirs.id} was not found"):
        get_owned(session, Thing, client="a", id=theirs.id, what="Thing")
    with pytest.raises(Problem) as refused:
        owned_in_body(session, Thing, client="a", id=theirs.id, field="thing_id", what="thing")
    assert refused.value.status == 422
    assert refused.value.errors == [
        {"loc": ["body", "thing_id"], "msg": f"is not one of your things (no thing {theirs.id})"}
    ]

    apply(mine, {"name": "renamed"})
    assert mine.name == "renamed"
