"""The record every provider keeps: numbered items, a bounded store, counters, resets."""

import pytest

from sandbox.kit.recorder import Recorder


def test_items_are_numbered_in_order_and_stamped_with_their_client() -> None:
    recorder = Recorder(max_items=10)
    assert recorder.accept("promos", [{"user": "a"}, {"user": "b"}]) == [1, 2]
    items, last_seq = recorder.page(after=0, limit=10)
    assert [(item["seq"], item["client"], item["user"]) for item in items] == [(1, "promos", "a"), (2, "promos", "b")]
    assert items[0]["at"].endswith("Z")
    assert last_seq == 2


def test_a_page_starts_after_a_seq_and_says_where_to_read_on() -> None:
    recorder = Recorder(max_items=100)
    recorder.accept(None, [{"n": n} for n in range(1, 11)])
    items, last_seq = recorder.page(after=3, limit=4)
    assert [item["n"] for item in items] == [4, 5, 6, 7]
    assert last_seq == 7
    items, last_seq = recorder.page(after=last_seq, limit=100)
    assert [item["n"] for item in items] == [8, 9, 10]
    assert recorder.page(after=10, limit=100) == ([], 10)


def test_the_store_keeps_the_newest_items_and_the_counters_go_on() -> None:
    recorder = Recorder(max_items=1000)
    for _ in range(2000):  # a million messages, in batches of 500
        recorder.accept("promos", [{"user": "u"}] * 500)
    assert recorder.stats() == {"received": 1_000_000, "accepted": 1_000_000, "failed": 0}
    items, last_seq = recorder.page(after=0, limit=1000)
    assert len(items) == 1000
    assert (items[0]["seq"], items[-1]["seq"], last_seq) == (999_001, 1_000_000, 1_000_000)
    assert len(recorder._items) == 1000


def test_refused_items_are_counted_but_not_listed() -> None:
    recorder = Recorder(max_items=10)
    recorder.accept(None, [{"n": 1}])
    recorder.refuse(3)
    assert recorder.stats() == {"received": 4, "accepted": 1, "failed": 3}
    assert len(recorder.page(after=0, limit=10)[0]) == 1


def test_a_reset_forgets_items_and_counters_but_never_reuses_a_seq() -> None:
    recorder = Recorder(max_items=10)
    recorder.accept(None, [{"n": 1}, {"n": 2}])
    recorder.reset()
    assert recorder.stats() == {"received": 0, "accepted": 0, "failed": 0}
    assert recorder.page(after=0, limit=10) == ([], 2)
    assert recorder.accept(None, [{"n": 3}]) == [3]


def test_the_store_holds_at_least_one_item() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Recorder(max_items=0)
