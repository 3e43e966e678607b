"""Which supplier tops up a direct order: cheapest expected cost, where a supplier's
recent failures make it dearer, among those with stock that cover the price.

expected cost = unit cost / success rate, the rate being (successes + 1) /
(finished + 2) over the supplier's last hour of attempts: a supplier with no history
starts at 50%, so it does not beat a proven one at the same price.
"""

import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone

from kameng.suppliers.models import Offer, Supplier
from kameng.topup.models import Attempt
from kameng.topup.states import AttemptStatus

RATE_WINDOW = timedelta(hours=1)
RATE_TTL = 10.0  # seconds
MIN_RATE = Decimal("0.05")


@dataclass(frozen=True)
class Route:
    supplier_id: int
    remote_sku: str
    unit_cost: Decimal
    success_rate: Decimal


def routes(
    sku_id: int, quantity: int, max_unit_cost: Decimal, exclude: frozenset[int] = frozenset()
) -> list[Route]:
    """Every supplier that may take this order now, best first."""
    offers = list(
        Offer.objects.filter(
            sku_id=sku_id,
            active=True,
            remote_available=True,
            cost__lte=max_unit_cost,
            supplier__status=Supplier.Status.APPROVED,
            supplier__mode=Supplier.Mode.API,
        )
        .exclude(remote_stock__lt=quantity)
        .exclude(supplier_id__in=exclude)
        .values_list("supplier_id", "remote_sku", "cost")
    )
    if not offers:
        return []
    rates = success_rates([supplier_id for supplier_id, _, _ in offers])
    found = [Route(s, remote, cost, rates[s]) for s, remote, cost in offers]
    found.sort(key=lambda r: (r.unit_cost / max(r.success_rate, MIN_RATE), -r.success_rate))
    return found


def success_rates(supplier_ids: list[int]) -> dict[int, Decimal]:
    """Each supplier's recent success rate; recounted at most every RATE_TTL seconds
    per process (counting an hour of attempts on every order grows with volume)."""
    now = time.monotonic()
    stale = [s for s in supplier_ids if _rates.get(s, (0.0, None))[0] <= now]
    if stale:
        since = timezone.now() - RATE_WINDOW
        rows = (
            Attempt.objects.filter(supplier_id__in=stale, finished_at__gte=since)
            .values("supplier_id")
            .annotate(
                done=Count("pk"),
                ok=Count("pk", filter=Q(status=AttemptStatus.SUCCEEDED)),
            )
        )
        counts = {row["supplier_id"]: (row["ok"], row["done"]) for row in rows}
        for supplier_id in stale:
            ok, done = counts.get(supplier_id, (0, 0))
            _rates[supplier_id] = (now + RATE_TTL, Decimal(ok + 1) / Decimal(done + 2))
    return {s: _rates[s][1] for s in supplier_ids}


_rates: dict[int, tuple[float, Decimal]] = {}  # supplier id → (valid until, rate)
