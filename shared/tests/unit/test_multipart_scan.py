"""The multipart scanner finds NUL where a part becomes text, however the body is cut into chunks."""

import pytest

from quintet_shared.multipart_scan import MAX_PART_HEADER_BYTES, MultipartNulScanner, MultipartRefused, boundary_of

BOUNDARY = b"Xy-Zz"


def body(*parts: tuple[bytes, bytes]) -> bytes:
    """Parts as (headers, content), between delimiters, with a preamble and an epilogue."""
    pieces = [b"preamble \x00 is ignored"]
    for headers, content in parts:
        pieces.append(b"\r\n--" + BOUNDARY + b"\r\n" + headers + b"\r\n\r\n" + content)
    pieces.append(b"\r\n--" + BOUNDARY + b"--\r\nepilogue \x00 too")
    return b"".join(pieces)


FIELD = b'Content-Disposition: form-data; name="title"'
FILE = b'Content-Disposition: form-data; name="file"; filename="a.bin"'


def scan(data: bytes, chunk: int) -> None:
    scanner = MultipartNulScanner(BOUNDARY)
    for start in range(0, len(data), chunk):
        scanner.feed(data[start : start + chunk])


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 100_000])
def test_nul_in_file_content_passes_and_in_a_field_is_refused(chunk: int) -> None:
    scan(body((FIELD, b"title"), (FILE, b"\x00\r\n--Xy-Z\x00" * 50)), chunk)
    with pytest.raises(MultipartRefused) as refused:
        scan(body((FILE, b"\x00" * 10), (FIELD, b"ti\x00tle")), chunk)
    assert refused.value.status == 422


@pytest.mark.parametrize("chunk", [1, 5, 100_000])
def test_nul_in_part_headers_is_refused(chunk: int) -> None:
    with pytest.raises(MultipartRefused):
        scan(body((b'Content-Disposition: form-data; name="file"; filename="a\x00"', b"x")), chunk)


def test_a_body_opening_without_preamble_is_scanned_from_its_first_part() -> None:
    data = b"--" + BOUNDARY + b"\r\n" + FIELD + b"\r\n\r\nbad\x00\r\n--" + BOUNDARY + b"--\r\n"
    with pytest.raises(MultipartRefused):
        scan(data, 4)


def test_part_headers_are_bounded() -> None:
    headers = FIELD + b"; x=" + b"a" * MAX_PART_HEADER_BYTES
    with pytest.raises(MultipartRefused) as refused:
        scan(body((headers, b"x")), 1024)
    assert refused.value.status == 400


def test_the_boundary_keeps_its_case_and_loses_its_quotes() -> None:
    assert boundary_of(b'multipart/form-data; charset=utf-8; Boundary="AbC"') == b"AbC"
    assert boundary_of(b"multipart/form-data") is None
