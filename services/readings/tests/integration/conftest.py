"""Fixtures shared by the ingestion tests."""

import pytest

from readings.ingestion import chunks


@pytest.fixture(params=["one chunk", "a chunk per row"])
def chunk_size(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every rule holds whether a file lands in one chunk or across many (each chunk is resolved
    and landed on its own while the next one is parsed)."""
    if request.param == "a chunk per row":
        monkeypatch.setattr(chunks, "CHUNK_ROWS", 1)
