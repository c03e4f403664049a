"""The repricing rules as a table: one row per situation a seller meets, with the price and the reason."""

from datetime import UTC, datetime, timedelta

import pytest

from marketplace.repricing import (
    Block,
    Clamp,
    Guards,
    Offer,
    Outcome,
    PriceBounds,
    Rule,
    decide,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
OWN = "own-1"
IGNORED = "friend-9"


def offer(merchant: str, price: int) -> Offer:
    return Offer(merchant_id=merchant, merchant_name=f"Shop {merchant}", price_cents=price)


def bounds(price: int = 100_000, low: int = 90_000, high: int = 120_000, step: int = 1_000) -> PriceBounds:
    return PriceBounds(price_cents=price, min_price_cents=low, max_price_cents=high, step_cents=step)


# (case, bounds, offers, new price, rule, competitor priced against, clamp, at floor)
TABLE = [
    ("cheaper competitor", bounds(), [offer("a", 98_000), offer("b", 99_000)], 97_000, Rule.UNDERCUT, "a", None, False),
    ("equal price", bounds(), [offer("a", 100_000)], 99_000, Rule.UNDERCUT, "a", None, False),
    ("below min", bounds(), [offer("a", 85_000)], 90_000, Rule.UNDERCUT, "a", Clamp.MIN, True),
    ("one step below lands on min", bounds(), [offer("a", 91_000)], 90_000, Rule.UNDERCUT, "a", None, True),
    (
        "already cheapest, next competitor higher",
        bounds(),
        [offer("a", 110_000), offer("b", 115_000)],
        109_000,
        Rule.RISE,
        "a",
        None,
        False,
    ),
    ("no competitor", bounds(), [], 120_000, Rule.NO_COMPETITOR, None, None, False),
    ("own store ignored", bounds(), [offer(OWN, 95_000)], 120_000, Rule.NO_COMPETITOR, None, None, False),
    (
        "own store ignored, next competitor counts",
        bounds(),
        [offer(OWN, 95_000), offer("a", 105_000)],
        104_000,
        Rule.RISE,
        "a",
        None,
        False,
    ),
    (
        "ignored merchant",
        bounds(),
        [offer(IGNORED, 50_000), offer("a", 100_000)],
        99_000,
        Rule.UNDERCUT,
        "a",
        None,
        False,
    ),
    ("max cap", bounds(), [offer("a", 200_000)], 120_000, Rule.RISE, "a", Clamp.MAX, False),
    ("step larger than the gap", bounds(step=5_000), [offer("a", 102_000)], 100_000, Rule.KEEP, "a", None, False),
    (
        "step larger than the gap when undercut",
        bounds(step=5_000),
        [offer("a", 99_000)],
        94_000,
        Rule.UNDERCUT,
        "a",
        None,
        False,
    ),
    (
        "at floor already and undercut",
        bounds(price=90_000),
        [offer("a", 80_000)],
        90_000,
        Rule.UNDERCUT,
        "a",
        Clamp.MIN,
        True,
    ),
    ("price above max comes down", bounds(price=130_000), [], 120_000, Rule.NO_COMPETITOR, None, None, False),
    (
        "the lowest of one merchant's offers counts",
        bounds(),
        [offer("a", 99_500), offer("a", 98_500)],
        97_500,
        Rule.UNDERCUT,
        "a",
        None,
        False,
    ),
    (
        "equal competitors: the first merchant id is named",
        bounds(),
        [offer("c", 98_000), offer("b", 98_000)],
        97_000,
        Rule.UNDERCUT,
        "b",
        None,
        False,
    ),
]


@pytest.mark.parametrize(
    ("case", "given", "offers", "price", "rule", "against", "clamp", "at_floor"), TABLE, ids=[row[0] for row in TABLE]
)
def test_the_repricing_table(
    case: str,
    given: PriceBounds,
    offers: list[Offer],
    price: int,
    rule: Rule,
    against: str | None,
    clamp: Clamp | None,
    at_floor: bool,
) -> None:
    decision = decide(given, offers, own_merchant_ids=[OWN], ignored_merchant_ids=[IGNORED], now=NOW)
    assert decision.new_price_cents == price
    assert decision.rule is rule
    assert (decision.competitor.merchant_id if decision.competitor else None) == against
    assert decision.clamp is clamp
    assert decision.at_floor is at_floor
    assert decision.outcome is (Outcome.UNCHANGED if price == given.price_cents else Outcome.CHANGED)
    assert decision.old_price_cents == given.price_cents


def test_the_reason_names_the_competitor_its_price_the_rule_and_the_clamp() -> None:
    decision = decide(bounds(), [offer("a", 85_000)], now=NOW)
    assert decision.reason == "undercut; against Shop a (a) at 85000; clamped to min; at floor"


def test_left_out_offers_are_kept_with_the_decision() -> None:
    decision = decide(
        bounds(),
        [offer(OWN, 1), offer(IGNORED, 2), offer("a", 3)],
        own_merchant_ids=[OWN],
        ignored_merchant_ids=[IGNORED],
        now=NOW,
    )
    assert [o.merchant_id for o in decision.ignored] == [OWN, IGNORED]


def test_dry_run_proposes_instead_of_changing() -> None:
    decision = decide(bounds(), [offer("a", 98_000)], now=NOW, dry_run=True)
    assert (decision.outcome, decision.new_price_cents) == (Outcome.PROPOSED, 97_000)


def test_dry_run_of_an_unchanged_price_is_unchanged() -> None:
    assert decide(bounds(price=120_000), [], now=NOW, dry_run=True).outcome is Outcome.UNCHANGED


def test_a_change_within_the_cooldown_is_blocked() -> None:
    guards = Guards(cooldown=timedelta(minutes=30), recent_changes=[NOW - timedelta(minutes=29)])
    decision = decide(bounds(), [offer("a", 98_000)], guards=guards, now=NOW)
    assert (decision.outcome, decision.blocked_by, decision.new_price_cents) == (
        Outcome.BLOCKED,
        Block.COOLDOWN,
        97_000,
    )
    assert decision.reason.endswith("blocked by cooldown")


def test_a_change_after_the_cooldown_passes() -> None:
    guards = Guards(cooldown=timedelta(minutes=30), recent_changes=[NOW - timedelta(minutes=30)])
    assert decide(bounds(), [offer("a", 98_000)], guards=guards, now=NOW).outcome is Outcome.CHANGED


def test_a_cooldown_longer_than_a_day_still_counts() -> None:
    guards = Guards(cooldown=timedelta(days=2), recent_changes=[NOW - timedelta(days=1, hours=1)])
    assert decide(bounds(), [offer("a", 98_000)], guards=guards, now=NOW).blocked_by is Block.COOLDOWN


def test_the_daily_limit_counts_the_last_24_hours() -> None:
    changes = [NOW - timedelta(hours=hours) for hours in (1, 5, 23)]
    limited = Guards(max_changes_per_day=3, recent_changes=changes)
    assert decide(bounds(), [offer("a", 98_000)], guards=limited, now=NOW).blocked_by is Block.DAILY_LIMIT
    older = Guards(max_changes_per_day=3, recent_changes=[*changes[:2], NOW - timedelta(hours=24)])
    assert decide(bounds(), [offer("a", 98_000)], guards=older, now=NOW).outcome is Outcome.CHANGED


def test_guards_do_not_block_an_unchanged_price() -> None:
    guards = Guards(cooldown=timedelta(hours=1), max_changes_per_day=0, recent_changes=[NOW])
    assert decide(bounds(price=120_000), [], guards=guards, now=NOW).outcome is Outcome.UNCHANGED


@pytest.mark.parametrize(
    ("low", "high", "step"), [(10, 5, 1), (-1, 5, 1), (1, 5, 0)], ids=["min above max", "negative min", "zero step"]
)
def test_impossible_bounds_are_refused(low: int, high: int, step: int) -> None:
    with pytest.raises(ValueError):
        PriceBounds(price_cents=3, min_price_cents=low, max_price_cents=high, step_cents=step)
