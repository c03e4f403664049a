"""How the SMTP sink lists a message: `{mail_from, to, subject, headers, body, message_id}`.

A message is kept as its bytes (`ListedMessage`) and parsed when it is first read from
`GET /sandbox/smtp/received`, not when it arrives: the sink takes thousands of messages a second
and most are never looked at one by one. Only the two headers it acts on at once (`Message-ID`,
`X-Client-Code`) are found on arrival, by a scan of the header block (`header_value`).

Parsing is bounded by what the server admits (the DATA size limit, the recipients limit); here the
header values are decoded (RFC 2047 encoded words) and the first text part's body is decoded from its
transfer encoding and charset. A part that cannot be decoded is listed as best it can, never refused:
the sink is for looking at what a sender sent, mistakes included.
"""

from collections.abc import Iterator, Mapping
from contextlib import suppress
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from functools import cached_property
from typing import Any

# The cheapest parser (no header objects): a sink takes thousands of messages a second.
_PARSER = BytesParser(policy=compat32)
MAX_HEADER_VALUE = 4096


class ListedMessage(Mapping[str, Any]):
    """A received message's listed fields, parsed on first access."""

    def __init__(self, *, mail_from: str, rcpt_tos: list[str], content: bytes) -> None:
        self.mail_from, self.rcpt_tos, self.content = mail_from, list(rcpt_tos), content

    @cached_property
    def fields(self) -> dict[str, Any]:
        return listed_message(mail_from=self.mail_from, rcpt_tos=self.rcpt_tos, content=self.content)

    def __getitem__(self, key: str) -> Any:
        return self.fields[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)


def header_value(content: bytes, name: str) -> str | None:
    """The first `name` header of the message's header block, unfolded and stripped; None if absent."""
    end = content.find(b"\r\n\r\n")
    head = content[: end if end >= 0 else len(content)]
    wanted = name.lower().encode() + b":"
    lines = head.split(b"\r\n")
    for index, line in enumerate(lines):
        if line[: len(wanted)].lower() == wanted:
            value = line[len(wanted) :]
            for folded in lines[index + 1 :]:  # continuation lines start with white space
                if not folded[:1].isspace():
                    break
                value += b" " + folded
            return " ".join(value.decode("utf-8", "replace").split())[:MAX_HEADER_VALUE]
    return None


def listed_message(*, mail_from: str, rcpt_tos: list[str], content: bytes) -> dict[str, Any]:
    message = _PARSER.parsebytes(content)
    headers: dict[str, str] = {}
    for name, value in message.items():
        text = _header_text(value)
        # A header that comes more than once (Received, say) is listed once, its values joined.
        headers[name] = f"{headers[name]}, {text}" if name in headers else text
    return {
        "mail_from": mail_from,
        "to": list(rcpt_tos),
        "subject": headers.get("Subject", ""),
        "message_id": headers.get("Message-ID"),
        "headers": headers,
        "body": _body(message),
    }


def _header_text(value: Any) -> str:
    text = str(value)
    if "=?" in text:
        with suppress(ValueError, LookupError, UnicodeDecodeError):  # else listed as sent
            text = str(make_header(decode_header(text)))
    return " ".join(text.split())[:MAX_HEADER_VALUE]


def _body(message: Message) -> str:
    part = _text_part(message)
    if part is None:
        return ""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        text = payload.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name
        text = payload.decode("utf-8", errors="replace")
    return text.replace("\r\n", "\n")  # lines end as the sender wrote them, not as SMTP carries them


def _text_part(message: Message) -> Message | None:
    """The first text/plain part, else the first text part of any kind."""
    if not message.is_multipart():
        return message if message.get_content_maintype() == "text" else None
    texts = [part for part in message.walk() if part.get_content_maintype() == "text"]
    plain = [part for part in texts if part.get_content_subtype() == "plain"]
    return (plain or texts or [None])[0]
