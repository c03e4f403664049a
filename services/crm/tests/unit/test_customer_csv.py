"""The customers CSV parser: rows, line-numbered row errors, and files refused as a whole."""

import io

import pytest

from crm.customer_csv import CustomerRow, customer_rows
from quintet_shared.bulk import FileUnusable, LineError

HEADER = b"restaurant,email,first_name,last_name\n"


def parse(body: bytes, restaurants: set[int] | None = None) -> list[CustomerRow | LineError]:
    return list(customer_rows(io.BytesIO(body), restaurants or {1, 2}))


def test_rows_are_read_with_their_line_and_the_email_lower_cased() -> None:
    body = (
        b"\xef\xbb\xbf Restaurant , EMAIL,first_name,last_name\r\n"
        b"1,Ana@Example.com, Ana ,Diaz\r\n"
        b"\r\n"
        b'2,"b@x.io","Lopez, Bea",\n'
    )
    assert parse(body) == [
        CustomerRow(2, 1, "ana@example.com", "Ana", "Diaz"),
        CustomerRow(4, 2, "b@x.io", "Lopez, Bea", ""),
    ]


@pytest.mark.parametrize(
    ("line", "words"),
    [
        (b"3,a@example.com,,", "not one of your restaurants"),
        (b"x,a@example.com,,", "is not a restaurant id"),
        (b"99999999999,a@example.com,,", "is not a restaurant id"),
        (b"1,a@@example.com,,", "not an email address"),
        (b"1,a example@x.io,,", "not an email address"),
        (b"1,a@example.com", "expected 4 fields"),
        (b'1,a@example.com,"Ana,', "malformed quoting"),
        (b"1,a@example.com," + b"A" * 101 + b",", "first_name is longer than 100"),
        (b"1,a@example.com,\xff\xfe,", "not UTF-8"),
        (b"1,a@example.com,A\x00,", "NUL"),
        (b"1,a@example.com," + b"A" * 5000 + b",", "longer than 4096 bytes"),
    ],
)
def test_a_bad_row_is_an_error_with_its_line_and_the_file_goes_on(line: bytes, words: str) -> None:
    rows = parse(HEADER + line + b"\n1,ok@example.com,,\n")
    assert isinstance(rows[0], LineError) and rows[0].line == 2 and words in rows[0].message, rows[0]
    assert rows[1] == CustomerRow(3, 1, "ok@example.com", "", "")


@pytest.mark.parametrize("body", [b"", b"email,restaurant\n1,a@example.com\n", b"\xff\xfe\n"])
def test_a_file_without_the_header_is_unusable(body: bytes) -> None:
    with pytest.raises(FileUnusable):
        parse(body)
