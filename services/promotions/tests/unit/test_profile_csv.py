"""The profiles CSV parser and the chunk builder (no database): what a row means, and every bad row
an error naming its line while the file goes on."""

import io
import json

import pytest

from promotions import profile_import
from promotions.profile_csv import ProfileCsv
from promotions.profile_import import ChunkBuilder
from quintet_shared.bounded import MAX_LINE_BYTES
from quintet_shared.bulk import FileUnusable, LineError

SEGMENTS = {"New users": 1, "Frequent buyers": 2}
HEADER = b"user,email,latitude,longitude,segments\n"


def parse(body: bytes, header: bytes = HEADER) -> list[object]:
    return list(ProfileCsv(SEGMENTS).rows(io.BytesIO(header + body)))


def test_a_good_file_keeps_user_references_exactly_and_0_as_a_coordinate() -> None:
    rows = parse(
        b"007,ana@example.com,0,0,New users\n"
        b" a b ,, , ,\n"
        b"42,bob@example.com,-33.5,-0.0,Frequent buyers; New users;\n"
        b'"Smith, Ana","x@y.z",43.2380,76.8829,"New users"\r\n'
        b"\n"
        b"0042,,90,-180,New users;New users\n"
    )
    assert rows == [
        (2, "007", "ana@example.com", 0.0, 0.0, (1,), "0\t0"),
        (3, " a b ", None, None, None, (), None),
        (4, "42", "bob@example.com", -33.5, -0.0, (1, 2), "-33.5\t-0.0"),
        (5, "Smith, Ana", "x@y.z", 43.2380, 76.8829, (1,), "43.2380\t76.8829"),
        (7, "0042", None, 90.0, -180.0, (1,), "90\t-180"),
    ]


def test_the_header_may_have_a_bom_spaces_and_capitals_and_a_file_may_be_only_the_header() -> None:
    assert parse(b"", header="\ufeffUser, Email ,LATITUDE,longitude,segments\r\n".encode()) == []
    assert parse(b"1,,,,\n") == [(2, "1", None, None, None, (), None)]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty"),
        (b"007,ana@example.com,0,0,New users\n", "line 1 must be the header"),
        (b"user,email,latitude,longitude\n", "line 1 must be the header"),
        (b"user;email;latitude;longitude;segments\n", "line 1 must be the header"),
        (b"\n\nuser,email,latitude,longitude,segments\n", "line 1 is empty"),
        (b"\x00" * 100_000, "longer than 4096 bytes"),
        (b"\x00\x00\x00\n1,,,,\n", "NUL"),
        (b"\xff\xfe u\x00s\x00e\x00r\x00\n", "not UTF-8"),
    ],
    ids=["empty", "no header", "four columns", "semicolons", "blank first line", "NULs", "NUL line", "UTF-16"],
)
def test_a_file_without_its_header_is_unusable_as_a_whole(content: bytes, reason: str) -> None:
    with pytest.raises(FileUnusable, match=reason) as refused:
        list(ProfileCsv(SEGMENTS).rows(io.BytesIO(content)))
    assert refused.value.line in (1, None)


def test_every_bad_row_is_an_error_with_its_line_and_the_rest_goes_on() -> None:
    long_line = b"x" * (MAX_LINE_BYTES + 10) + b",,,,\n"
    rows = parse(
        b"1,a@b.c,1,1\n"  # 2
        b"2,a@b.c,1,1,New users,extra\n"  # 3
        b"3,a@b.c,abc,1,\n"  # 4
        b"4,a@b.c,91,1,\n"  # 5
        b"5,a@b.c,1,-180.5,\n"  # 6
        b"6,a@b.c,1,,\n"  # 7
        b"7,a@b.c,, 2,\n"  # 8
        b"8,a@b.c,nan,1,\n"  # 9
        b"9,a@b.c,1,inf,\n"  # 10
        b"10,a@b.c,1_0,1,\n"  # 11
        b"11,a@b.c,1,1,VIP;New users\n"  # 12
        b"12,not an email,1,1,\n"  # 13
        b",a@b.c,1,1,\n"  # 14
        + b"u" * 201
        + b",,,,\n"  # 15
        + b'"13,a@b.c,1,1,\n'  # 16
        + b"14,caf\xe9,1,1,\n"  # 17
        + b"15,a\x00b,1,1,\n"  # 18
        + long_line  # 19
        + b"16,ok@b.c,1.5,2.5,Frequent buyers\n"  # 20
    )
    errors = {row.line: row.message for row in rows if isinstance(row, LineError)}
    assert [row for row in rows if not isinstance(row, LineError)] == [(20, "16", "ok@b.c", 1.5, 2.5, (2,), "1.5\t2.5")]
    assert sorted(errors) == list(range(2, 20))
    expected = {
        2: "expected 5 fields",
        3: "found 6",
        4: "latitude 'abc' is not a number from -90 to 90",
        5: "latitude '91'",
        6: "longitude '-180.5' is not a number from -180 to 180",
        7: "longitude is missing",
        8: "latitude is missing",
        9: "latitude 'nan'",
        10: "longitude 'inf'",
        11: "latitude '1_0'",
        12: "no such segment: 'VIP'",
        13: "email 'not an email' is not an email address",
        14: "user must be 1 to 200 characters",
        15: "user must be 1 to 200 characters",
        16: "malformed quoting",
        17: "not UTF-8 text",
        18: "NUL characters are not accepted",
        19: "line is longer than 4096 bytes",
    }
    for line, reason in expected.items():
        assert reason in errors[line], (line, errors[line])


def test_segments_are_trimmed_deduplicated_and_bounded() -> None:
    many = ";".join(f"s{n}" for n in range(101)).encode()
    csv = ProfileCsv({**SEGMENTS, **{f"s{n}": 10 + n for n in range(101)}})
    body = b"1,,,, Frequent buyers ;;New users;Frequent buyers\n2,,,," + many + b"\n"
    rows = list(csv.rows(io.BytesIO(HEADER + body)))
    assert rows[0] == (2, "1", None, None, None, (1, 2), None)
    assert isinstance(rows[1], LineError) and "more than 100 segments" in rows[1].message


def test_a_chunk_keeps_a_users_last_row_and_counts_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(profile_import, "CHUNK_ROWS", 3)
    chunks: list[profile_import.Chunk] = []
    builder = ChunkBuilder(False, chunks.append)
    for line, user in enumerate(["a", "b", "a", "c", "a"], start=2):
        builder.add((line, user, None, 0.0, 0.0, (1, 2), "0\t0"))
    builder.cut()
    assert [(chunk.first, chunk.last, [row[0] for row in chunk.rows]) for chunk in chunks] == [
        (2, 5, [4, 3, 5]),  # a's last row of the chunk (line 4), b, c
        (6, 6, [6]),  # a again: the next chunk lands after, so it wins
    ]
    assert json.loads(chunks[0].rows[0][5]) == [1, 2]
    assert (builder.counts.good, builder.counts.repeated) == (5, 1)  # line 2, replaced in its chunk


def test_copy_rows_escape_what_copy_would_read_as_structure() -> None:
    chunks: list[profile_import.Chunk] = []
    builder = ChunkBuilder(True, chunks.append)
    builder.add((2, "tab\there\\", "a@b.c", None, None, (), None))
    builder.add((3, "x", None, 1.25, -0.5, (2, 1), None))
    builder.cut()
    assert chunks[0].rows == "2\ttab\\there\\\\\ta@b.c\t\\N\t\\N\t{}\n3\tx\t\\N\t1.25\t-0.5\t{2,1}\n"
