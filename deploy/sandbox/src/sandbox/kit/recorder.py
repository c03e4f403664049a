"""What a provider received: items numbered in order, the newest kept in memory, and counters.

The store is bounded (`max_items`, the oldest dropped first), so a provider that is sent millions of
messages keeps a constant footprint; the counters go on counting what was dropped. Sequence numbers
are never reused, not even after a reset, so a reader's `after` stays valid whatever happens.
"""

import time
from collections import deque
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from itertools import islice
from typing import Any

# One stored item: its seq, when it arrived (Unix seconds), the client it came from, its own fields.
_Item = tuple[int, float, str | None, Mapping[str, Any]]


class Recorder:
    def __init__(self, max_items: int) -> None:
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        self._items: deque[_Item] = deque(maxlen=max_items)
        self._last_seq = 0
        self.received = self.accepted = self.failed = 0

    @property
    def last_seq(self) -> int:
        return self._last_seq

    def accept(self, client: str | None, items: Iterable[Mapping[str, Any]]) -> list[int]:
        """Record items the provider accepted; returns their seq numbers."""
        seqs = self._list(client, items)
        self.received += len(seqs)
        self.accepted += len(seqs)
        return seqs

    def decline(self, client: str | None, items: Iterable[Mapping[str, Any]]) -> list[int]:
        """Record items the provider handled and answered with a failure of its own (a declined
        charge): listed like accepted ones, counted as failed."""
        seqs = self._list(client, items)
        self.received += len(seqs)
        self.failed += len(seqs)
        return seqs

    def refuse(self, count: int) -> None:
        """Count items that arrived and were answered with a failure (they are not listed)."""
        self.received += count
        self.failed += count

    def _list(self, client: str | None, items: Iterable[Mapping[str, Any]]) -> list[int]:
        at = time.time()
        seqs = []
        for fields in items:
            self._last_seq += 1
            self._items.append((self._last_seq, at, client, fields))
            seqs.append(self._last_seq)
        return seqs

    def page(self, after: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Up to `limit` items with a seq above `after`, oldest first, and the seq to read on from: the
        last item's, or the newest seq recorded when nothing is newer than `after`."""
        items = self._items
        start = 0
        if items:
            # Seq numbers in the store are consecutive, so the first one to return is found by position.
            start = min(max(after - items[0][0] + 1, 0), len(items))
        page = [_public(item) for item in islice(items, start, start + limit)]
        return page, (page[-1]["seq"] if page else self._last_seq)

    def stats(self) -> dict[str, int]:
        return {"received": self.received, "accepted": self.accepted, "failed": self.failed}

    def reset(self) -> None:
        """Forget the items and the counters; seq numbers go on from where they were."""
        self._items.clear()
        self.received = self.accepted = self.failed = 0


def _public(item: _Item) -> dict[str, Any]:
    seq, at, client, fields = item
    stamp = datetime.fromtimestamp(at, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    return {"seq": seq, "at": stamp, "client": client, **fields}
