"""The uploaded or opened file as the parser reads it: hashed and counted on the way through.

The parser reads the bytes once; the sha256 and the progress come from that same pass, so a file is
never read twice nor held in memory.
"""

import hashlib
import io
from collections.abc import Callable
from typing import BinaryIO

Progress = Callable[[int, int | None], None]  # (bytes read, total bytes when known)


class _CountingRaw(io.RawIOBase):
    def __init__(self, inner: BinaryIO, total: int | None, progress: Progress | None) -> None:
        self.inner = inner
        self.total = total
        self.progress = progress
        self.done = 0
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self.inner.read(len(buffer))
        size = len(chunk)
        buffer[:size] = chunk
        if size:
            self.done += size
            self.digest.update(chunk)
            if self.progress is not None:
                self.progress(self.done, self.total)
        return size


class HashingSource:
    """Wraps a binary stream; `reader` is what the parser gets (a buffered reader like any file)."""

    def __init__(self, inner: BinaryIO, *, total: int | None = None, progress: Progress | None = None) -> None:
        self._raw = _CountingRaw(inner, total, progress)
        self.reader: BinaryIO = io.BufferedReader(self._raw, buffer_size=256 * 1024)  # type: ignore[assignment]

    @property
    def size(self) -> int:
        return self._raw.done

    def sha256(self) -> str:
        """The hash of the whole file: whatever the parser left unread is read (and hashed) now."""
        while self.reader.read(1024 * 1024):
            pass
        return self._raw.digest.hexdigest()
