from datetime import datetime, time, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from kameng.agents.services import get_agent
from kameng.commands import KamengCommand
from kameng.errors import InvalidInput
from kameng.storefront import queries, services
from kameng.storefront.models import Coupon


class Command(KamengCommand):
    help = (
        "Coupons of an agent's shop. `create --code C --percent 10 | --amount 5` "
        "(taken out of the agent's own spread, never below its cost); `list`; "
        "`deactivate --code C`."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["create", "list", "deactivate"])
        parser.add_argument("--agent", required=True, help="the shop's agent (username)")
        parser.add_argument("--code", help="3–32 letters, digits or -, case-insensitive")
        kind = parser.add_mutually_exclusive_group()
        kind.add_argument("--percent", help="percent off the subtotal, e.g. 10")
        kind.add_argument("--amount", help="yuan off, e.g. 5")
        parser.add_argument("--min", default="0", help="only from this subtotal on (yuan)")
        parser.add_argument(
            "--sku", type=int, action="append", default=[], help="only for this SKU (repeatable)"
        )
        parser.add_argument("--limit", type=int, help="how many orders may use it in all")
        parser.add_argument(
            "--expires", help="last day it is valid, YYYY-MM-DD (or an ISO date and time)"
        )

    def handle(self, *args, action: str, agent: str, code: str | None, **options) -> None:
        owner = get_agent(agent)
        if action == "list":
            rows = [queries.coupon_view(c) for c in queries.coupons_of(owner)]
            columns = ["code", "kind", "value", "min_amount", "skus", "used_count", "usage_limit"]
            self.print_rows(rows, [*columns, "expires_at", "active"], empty="no coupons")
            return
        if not code:
            raise InvalidInput(f"say which coupon: kameng coupon {action} --agent A --code C")
        if action == "deactivate":
            self.print_json(queries.coupon_view(services.deactivate_coupon(owner, code)))
            return
        if options["percent"] is None and options["amount"] is None:
            raise InvalidInput("say what the coupon takes off: --percent P or --amount A")
        percent = options["percent"] is not None
        coupon = services.create_coupon(
            owner,
            code=code,
            kind=Coupon.Kind.PERCENT if percent else Coupon.Kind.FIXED,
            value=options["percent"] if percent else options["amount"],
            min_amount=options["min"],
            sku_ids=options["sku"],
            usage_limit=options["limit"],
            expires_at=_expiry(options["expires"]),
        )
        self.print_json(queries.coupon_view(coupon))


def _expiry(text: str | None) -> datetime | None:
    """A date is valid through that whole day (local time): it expires at the next
    midnight."""
    if not text:
        return None
    try:
        day = parse_date(text)
        if day is not None:
            return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
        moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        raise InvalidInput(f"--expires takes a date YYYY-MM-DD, got {text!r}")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
