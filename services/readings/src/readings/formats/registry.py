"""The parsers known to this service, by name. A client's format names one of them (client_formats.py).

Adding a format is one module implementing `Parser` (base.py) and one `register(...)` line in
`readings/formats/__init__.py`.
"""

from readings.formats.base import Parser

_parsers: dict[str, Parser] = {}


class UnknownFormat(LookupError):
    def __init__(self, name: str) -> None:
        known = ", ".join(names()) or "none"
        super().__init__(f"unknown format {name!r} (known: {known})")
        self.name = name


def register(parser: Parser) -> Parser:
    """Make `parser` available under its name; a second parser with the same name is a mistake."""
    existing = _parsers.get(parser.name)
    if existing is not None and existing is not parser:
        raise ValueError(f"a parser named {parser.name!r} is already registered")
    _parsers[parser.name] = parser
    return parser


def get(name: str) -> Parser:
    try:
        return _parsers[name]
    except KeyError:
        raise UnknownFormat(name) from None


def names() -> list[str]:
    return sorted(_parsers)


def parsers() -> list[Parser]:
    return [_parsers[name] for name in names()]
