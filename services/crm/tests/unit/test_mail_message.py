"""A campaign email's bytes read back by the standard parser: headers, RFC 8058, the decoded body."""

from email import message_from_bytes
from email.policy import default

import pytest

from crm.mail_message import Mail, UnsendableMail, mail_bytes

DATE = "Wed, 02 Dec 2026 10:00:00 +0000"


def mail(**fields: str) -> Mail:
    values = {
        "to": "ann@example.com",
        "subject": "We miss you",
        "body": "Hi Ann,\ncome back: {braces} stay.\n.\nA line of 100 characters " + "x" * 80 + "\n",
        "message_id": "<crm.1.2@crm.example>",
        "from_name": "Café Rouge",
        "unsubscribe_url": "https://q.example/crm/public/unsubscribe/abc",
        **fields,
    }
    return Mail(**values)  # type: ignore[arg-type]


def test_headers_body_and_one_click_unsubscribe_read_back() -> None:
    raw = mail_bytes(mail(), sender="news@crm.example", date=DATE)
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    parsed = message_from_bytes(raw, policy=default)
    assert parsed["To"] == "ann@example.com"
    assert parsed["From"] == "Café Rouge <news@crm.example>"
    assert parsed["Subject"] == "We miss you"
    assert parsed["Message-ID"] == "<crm.1.2@crm.example>"
    assert parsed["Date"] == DATE
    assert parsed["List-Unsubscribe"] == "<https://q.example/crm/public/unsubscribe/abc>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed.get_content().replace("\r\n", "\n") == mail().body
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78


def test_non_ascii_subject_is_encoded_and_reads_back() -> None:
    raw = mail_bytes(mail(subject="Ça vous manque ? 🍽"), sender="news@crm.example", date=DATE)
    assert raw.split(b"\r\n\r\n")[0].isascii()
    assert message_from_bytes(raw, policy=default)["Subject"] == "Ça vous manque ? 🍽"


def test_a_line_break_in_the_subject_cannot_add_a_header() -> None:
    raw = mail_bytes(mail(subject="Hi\r\nBcc: all@example.com"), sender="news@crm.example", date=DATE)
    parsed = message_from_bytes(raw, policy=default)
    assert parsed["Bcc"] is None and parsed["Subject"] == "Hi Bcc: all@example.com"


@pytest.mark.parametrize("to", ["ann@example.com\r\nBcc: x@example.com", "ann@exämple.com", "a\0@example.com"])
def test_an_address_that_is_not_one_ascii_line_is_unsendable(to: str) -> None:
    with pytest.raises(UnsendableMail):
        mail_bytes(mail(to=to), sender="news@crm.example", date=DATE)


def test_without_an_unsubscribe_url_there_is_no_list_header() -> None:
    raw = mail_bytes(Mail("a@example.com", "s", "b", "<m@x>"), sender="news@crm.example", date=DATE)
    assert b"List-Unsubscribe" not in raw
