"""The answers a provider gave to idempotency keys lately, so a retried request gets its first answer.

Bounded like the record (the oldest key is forgotten first): a sender retries within minutes, not
after millions of other requests.
"""

from collections import OrderedDict
from typing import Generic, TypeVar

Answer = TypeVar("Answer")
Key = tuple[str | None, str]  # the client (X-Client-Code) and its idempotency key


class SeenKeys(Generic[Answer]):
    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self._answers: OrderedDict[Key, Answer] = OrderedDict()

    def get(self, key: Key) -> Answer | None:
        return self._answers.get(key)

    def add(self, key: Key, answer: Answer) -> None:
        self._answers[key] = answer
        if len(self._answers) > self.limit:
            self._answers.popitem(last=False)

    def __len__(self) -> int:
        return len(self._answers)

    def clear(self) -> None:
        self._answers.clear()
