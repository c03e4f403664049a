"""One campaign email as the bytes SMTP carries: plain text, UTF-8, quoted-printable.

Built by hand rather than with `email.message.EmailMessage`, which costs about ten times as much per
message (a campaign builds a hundred thousand). Every header value is checked for line breaks (a
name or an address with CR/LF would let it write headers of its own); non-ASCII header text is
RFC 2047-encoded; the body's lines end in CRLF.

Each message carries the one-click unsubscribe of RFC 8058: `List-Unsubscribe: <https URL>` and
`List-Unsubscribe-Post: List-Unsubscribe=One-Click`, which large mailbox providers require of bulk
senders; the URL is the crm's public unsubscribe route (ARCHITECTURE.md §11).
"""

import binascii
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr
from functools import lru_cache

MAX_HEADER_TEXT = 900  # a header line may not exceed 998 characters (RFC 5322)


class UnsendableMail(ValueError):
    """A message that no relay would take as it is (a line break in an address, say)."""


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    body: str
    message_id: str  # "<unique@domain>": the same message sent again keeps it, so a receiver drops the copy
    from_name: str = ""
    unsubscribe_url: str | None = None


def mail_bytes(mail: Mail, *, sender: str, date: str) -> bytes:
    """The message's bytes, headers and body (the envelope is the relay's business)."""
    lines = [
        f"From: {_from(mail.from_name, sender)}",
        f"To: {_address(mail.to)}",
        f"Subject: {_text(mail.subject)}",
        f"Date: {date}",
        f"Message-ID: {_address(mail.message_id)}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
    ]
    if mail.unsubscribe_url is not None:
        url = _address(mail.unsubscribe_url)
        lines += [f"List-Unsubscribe: <{url}>", "List-Unsubscribe-Post: List-Unsubscribe=One-Click"]
    head = "\r\n".join(lines).encode("ascii")
    text = mail.body.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    body = binascii.b2a_qp(text, istext=True).replace(b"\n", b"\r\n")
    return head + b"\r\n\r\n" + body + (b"" if body.endswith(b"\r\n") else b"\r\n")


# A campaign's messages share their sender and subject: encoded once, not per message.
@lru_cache(maxsize=256)
def _from(name: str, sender: str) -> str:
    return formataddr((_one_line(name), _address(sender)), charset="utf-8")


def _one_line(value: str) -> str:
    return " ".join(value.split())[:MAX_HEADER_TEXT]


@lru_cache(maxsize=256)
def _text(value: str) -> str:
    value = _one_line(value)
    if value.isascii():
        return value
    return Header(value, "utf-8", header_name="Subject").encode()


def _address(value: str) -> str:
    if any(char in value for char in "\r\n\0") or not value.isascii() or len(value) > MAX_HEADER_TEXT:
        raise UnsendableMail(f"not a single-line ASCII address: {value[:80]!r}")
    return value
