"""Campaign message templates: `{first_name}`, `{last_name}`, `{restaurant}` and literal braces.

The original used `str.format`, so any other placeholder (`{email}`, `{0}`, `{first_name.upper}`)
or a lone brace in the text failed when the message was sent, half-way through a campaign. Here a
template is read once, when the campaign is saved: a placeholder other than the three, an empty
`{}`, a conversion or format spec (`{first_name!r}`, `{first_name:>9}`) or an unmatched brace is
refused then (422, with the position), and rendering a template that was accepted cannot fail.

A literal brace is written doubled, as in `str.format`: `{{` renders `{` and `}}` renders `}`.
Values are inserted as they are: the message is plain text, never a template again.

Pure: no I/O, no database; the campaigns' sender compiles a template once and renders it per
customer.
"""

from collections.abc import Mapping
from dataclasses import dataclass

PLACEHOLDERS = ("first_name", "last_name", "restaurant")
MAX_TEMPLATE_CHARS = 10_000


class TemplateError(ValueError):
    """A template that cannot be accepted; `position` is the 0-based index of the offending character."""

    def __init__(self, message: str, *, position: int) -> None:
        super().__init__(f"{message} (at character {position + 1})")
        self.position = position


@dataclass(frozen=True, slots=True)
class Placeholder:
    name: str


Part = str | Placeholder


@dataclass(frozen=True)
class Template:
    """A template read and checked once; `render` only joins its parts."""

    parts: tuple[Part, ...]

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(part.name for part in self.parts if isinstance(part, Placeholder))

    def render(self, values: Mapping[str, str]) -> str:
        """The message with each placeholder replaced by `values[name]` (a missing value renders as
        empty text: a customer without a last name still gets the message)."""
        return "".join(part if isinstance(part, str) else values.get(part.name, "") for part in self.parts)


def compile_template(text: str) -> Template:
    """`text` read into a Template; TemplateError naming the first problem and where it is."""
    if len(text) > MAX_TEMPLATE_CHARS:
        raise TemplateError(f"the template is longer than {MAX_TEMPLATE_CHARS} characters", position=MAX_TEMPLATE_CHARS)
    parts: list[Part] = []
    literal: list[str] = []
    index, end = 0, len(text)
    while index < end:
        char = text[index]
        if char == "}":
            if text.startswith("}}", index):
                literal.append("}")
                index += 2
                continue
            raise TemplateError("a lone '}' (write '}}' for a literal brace)", position=index)
        if char != "{":
            literal.append(char)
            index += 1
            continue
        if text.startswith("{{", index):
            literal.append("{")
            index += 2
            continue
        close = text.find("}", index + 1)
        opened_again = text.find("{", index + 1)
        if close < 0 or 0 <= opened_again < close:
            raise TemplateError("a '{' that is never closed (write '{{' for a literal brace)", position=index)
        name = text[index + 1 : close]
        if name not in PLACEHOLDERS:
            raise TemplateError(_unknown(name), position=index)
        if literal:
            parts.append("".join(literal))
            literal = []
        parts.append(Placeholder(name))
        index = close + 1
    if literal:
        parts.append("".join(literal))
    return Template(tuple(parts))


def validate_template(text: str) -> None:
    """Raise TemplateError unless `text` is a template every customer's message can be rendered from."""
    compile_template(text)


def render(text: str, values: Mapping[str, str]) -> str:
    return compile_template(text).render(values)


def _unknown(name: str) -> str:
    allowed = ", ".join("{" + placeholder + "}" for placeholder in PLACEHOLDERS)
    shown = name if len(name) <= 40 else name[:40] + "…"
    if not name:
        return f"an empty placeholder '{{}}'; the placeholders are {allowed}"
    return f"unknown placeholder '{{{shown}}}'; the placeholders are {allowed} (write '{{{{' for a literal brace)"
