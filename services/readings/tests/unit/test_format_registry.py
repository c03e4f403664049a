"""The registry of parsers: built-ins present, a new format is one registration away."""

from collections.abc import Iterator
from typing import BinaryIO
from zoneinfo import ZoneInfo

import pytest

from readings.formats import registry
from readings.formats.base import Parsed, Parser


class Beets:
    name = "beets-test"
    description = "a format for this test only"

    def parse(self, stream: BinaryIO, *, timezone: ZoneInfo) -> Iterator[Parsed]:
        return iter(())


@pytest.fixture
def beets() -> Iterator[Parser]:
    parser = registry.register(Beets())
    yield parser
    registry._parsers.pop(parser.name)


def test_built_in_formats() -> None:
    assert registry.names() == ["carrots", "potatoes"]
    assert registry.get("potatoes").description
    assert [parser.name for parser in registry.parsers()] == ["carrots", "potatoes"]


def test_register_a_format(beets: Parser) -> None:
    assert registry.get("beets-test") is beets
    assert "beets-test" in registry.names()
    assert registry.register(beets) is beets  # registering the same parser again changes nothing


def test_a_name_is_taken_once(beets: Parser) -> None:
    with pytest.raises(ValueError, match="already registered"):
        registry.register(Beets())


def test_unknown_format_names_the_known_ones() -> None:
    with pytest.raises(registry.UnknownFormat, match=r"unknown format 'turnips' \(known: carrots, potatoes\)"):
        registry.get("turnips")
