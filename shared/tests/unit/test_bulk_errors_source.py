"""The capped error log and the hashing, counting source of bulk loads (no database)."""

import hashlib
import io

import pytest

from quintet_shared.bulk import ErrorLog, FileUnusable, HashingSource, LineError


def test_the_error_log_counts_all_and_keeps_the_first() -> None:
    log = ErrorLog(limit=2)
    for line in (1, 5, 9):
        log.add(line, "bad")
    assert log.count == 3 and [e.line for e in log.merged([LineError(3, "dup")])] == [1, 3]


def test_the_source_hashes_what_the_parser_left_unread() -> None:
    seen: list[int] = []
    source = HashingSource(io.BytesIO(b"x" * 300_000), total=300_000, progress=lambda done, _: seen.append(done))
    source.reader.read(10)
    assert source.sha256() == hashlib.sha256(b"x" * 300_000).hexdigest()
    assert source.size == 300_000 and seen[-1] == 300_000


def test_past_the_cap_the_file_is_given_up() -> None:
    log = ErrorLog(cap=2)
    log.add(1, "bad")
    log.add(2, "bad")
    with pytest.raises(FileUnusable, match="more than 2 rows were rejected, so reading stopped at line 7"):
        log.add(7, "worse")
