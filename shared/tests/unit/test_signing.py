"""The one canonical form of the signed target (issue 7, defect 3)."""

from urllib.parse import unquote

from quintet_shared.signing import raw_target, signed_target


def scope(path: str, raw_path: bytes | None, query: bytes = b"") -> dict[str, object]:
    found: dict[str, object] = {"path": path, "query_string": query}
    if raw_path is not None:
        found["raw_path"] = raw_path
    return found


def test_defect_3_the_target_is_the_raw_path_as_sent_then_the_raw_query() -> None:
    raw = b"/readings/sp%231%3F%5C%09%0D%0A"
    assert raw_target(scope(unquote(raw.decode()), raw)) == raw
    assert raw_target(scope("/readings/a b", b"/readings/a%20b", b"from_dt=x%2B09:00")) == (
        b"/readings/a%20b?from_dt=x%2B09:00"
    )
    # Escapes a client chose to make are kept, not normalised: the bytes are what is signed.
    assert raw_target(scope("/readings/aA", b"/readings/a%41")) == b"/readings/a%41"
    assert signed_target(scope("/x", b"/x", b"q=\xff")) == "/x?q=\xff"


def test_defect_3_without_a_raw_path_the_decoded_path_is_escaped_again() -> None:
    decoded = "/readings/sp#1?\\\t\r\né"
    fallback = raw_target(scope(decoded, None))
    assert fallback == b"/readings/sp%231%3F%5C%09%0D%0A%C3%A9"
    # Sent on in that form, a server that does give the raw path sees the same bytes.
    assert raw_target(scope(unquote(fallback.decode()), fallback)) == fallback
    assert raw_target(scope(unquote(fallback.decode()), None)) == fallback
