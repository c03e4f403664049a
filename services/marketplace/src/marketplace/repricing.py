"""Repricing: what one product's price should be, given the competitors' offers. A pure function.

The rules (the issue's, and what sellers ask of the repricers they use):

- The seller's own stores and the merchants it lists as ignored are not competitors (a repricer
  undercutting the seller's own offer is the commonest complaint about them).
- A competitor cheaper than us, or at our price: one step below the lowest of them (`undercut`).
- Already the cheapest: rise to one step below the next competitor (`rise`), so a price comes back up
  when competitors rise or leave. When that step lands at or below our price (a step larger than the
  gap), the price stays: being cheapest already, a lower price only gives margin away (`keep`).
- No competitor at all: the max (`no_competitor`).
- Whatever the rule asks is clamped to [min, max]; a price at min is "at floor".
- Against price wars, a change needs the product's last change to be older than the cooldown and
  fewer than `max_changes_per_day` changes in the last 24 hours; otherwise it is `blocked`.
- In dry-run mode a change is only `proposed`: recorded, not applied nor published.

Prices are integer cents; the marketplace's whole tenge are converted before they get here.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Offer:
    """One merchant's offer of the product, as the marketplace lists it."""

    merchant_id: str
    merchant_name: str
    price_cents: int


@dataclass(frozen=True)
class PriceBounds:
    price_cents: int
    min_price_cents: int
    max_price_cents: int
    step_cents: int

    def __post_init__(self) -> None:
        if self.step_cents < 1:
            raise ValueError("step_cents must be at least 1")
        if not 0 <= self.min_price_cents <= self.max_price_cents:
            raise ValueError("min_price_cents must lie between 0 and max_price_cents")


@dataclass(frozen=True)
class Guards:
    """The brakes against price wars, and the product's recent changes they are checked against."""

    cooldown: timedelta = timedelta(0)
    max_changes_per_day: int | None = None
    recent_changes: Sequence[datetime] = ()  # when the product's price changed lately (any order)


class Rule(StrEnum):
    UNDERCUT = "undercut"  # a competitor is cheaper or equal: one step below the lowest
    RISE = "rise"  # we are the cheapest: one step below the next competitor
    KEEP = "keep"  # we are the cheapest and one step below the next is not above our price
    NO_COMPETITOR = "no_competitor"  # nobody else offers it: the max


class Clamp(StrEnum):
    MIN = "min"
    MAX = "max"


class Outcome(StrEnum):
    CHANGED = "changed"  # apply, record, publish
    PROPOSED = "proposed"  # dry run: record the proposal only
    UNCHANGED = "unchanged"  # the rules keep the current price
    BLOCKED = "blocked"  # a change the guards refuse now


class Block(StrEnum):
    COOLDOWN = "cooldown"
    DAILY_LIMIT = "daily_limit"


@dataclass(frozen=True)
class Decision:
    """What the rules decided for one product, with everything needed to explain it."""

    outcome: Outcome
    old_price_cents: int
    new_price_cents: int  # the rules' price (also when blocked or proposed, so the seller sees it)
    rule: Rule
    competitor: Offer | None  # the offer the rule priced against
    clamp: Clamp | None
    at_floor: bool
    blocked_by: Block | None = None
    ignored: tuple[Offer, ...] = field(default=())  # own and ignored merchants' offers, left out

    @property
    def reason(self) -> str:
        """One line for the price history and the notifications."""
        parts = [self.rule.value]
        if self.competitor is not None:
            price = self.competitor.price_cents
            parts.append(f"against {self.competitor.merchant_name} ({self.competitor.merchant_id}) at {price}")
        if self.clamp is not None:
            parts.append(f"clamped to {self.clamp.value}")
        if self.at_floor:
            parts.append("at floor")
        if self.blocked_by is not None:
            parts.append(f"blocked by {self.blocked_by.value}")
        return "; ".join(parts)


def decide(
    bounds: PriceBounds,
    offers: Iterable[Offer],
    *,
    own_merchant_ids: Iterable[str] = (),
    ignored_merchant_ids: Iterable[str] = (),
    guards: Guards = Guards(),
    now: datetime,
    dry_run: bool = False,
) -> Decision:
    """The price the repricing rules give `bounds.price_cents` against `offers` (see the module)."""
    left_out = set(own_merchant_ids) | set(ignored_merchant_ids)
    all_offers = list(offers)
    competitors = sorted(
        (offer for offer in all_offers if offer.merchant_id not in left_out),
        key=lambda offer: (offer.price_cents, offer.merchant_id),
    )
    ignored = tuple(offer for offer in all_offers if offer.merchant_id in left_out)
    current = bounds.price_cents
    rule, competitor, wanted = _rule(current, bounds, competitors)
    new_price, clamp = _clamp(wanted, bounds)
    at_floor = new_price == bounds.min_price_cents
    outcome, blocked_by = _outcome(current, new_price, guards, now, dry_run)
    return Decision(outcome, current, new_price, rule, competitor, clamp, at_floor, blocked_by, ignored)


def _rule(current: int, bounds: PriceBounds, competitors: Sequence[Offer]) -> tuple[Rule, Offer | None, int]:
    if not competitors:
        return Rule.NO_COMPETITOR, None, bounds.max_price_cents
    lowest = competitors[0]
    below_lowest = lowest.price_cents - bounds.step_cents
    if lowest.price_cents <= current:
        return Rule.UNDERCUT, lowest, below_lowest
    if below_lowest > current:
        return Rule.RISE, lowest, below_lowest
    return Rule.KEEP, lowest, current


def _clamp(price: int, bounds: PriceBounds) -> tuple[int, Clamp | None]:
    if price < bounds.min_price_cents:
        return bounds.min_price_cents, Clamp.MIN
    if price > bounds.max_price_cents:
        return bounds.max_price_cents, Clamp.MAX
    return price, None


def _outcome(
    current: int, new_price: int, guards: Guards, now: datetime, dry_run: bool
) -> tuple[Outcome, Block | None]:
    if new_price == current:
        return Outcome.UNCHANGED, None
    if guards.recent_changes and now - max(guards.recent_changes) < guards.cooldown:
        return Outcome.BLOCKED, Block.COOLDOWN
    recent = [at for at in guards.recent_changes if now - at < DAY]
    if guards.max_changes_per_day is not None and len(recent) >= guards.max_changes_per_day:
        return Outcome.BLOCKED, Block.DAILY_LIMIT
    return (Outcome.PROPOSED if dry_run else Outcome.CHANGED), None
