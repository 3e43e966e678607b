import argparse

from kameng.catalog.queries import get_sku
from kameng.commands import KamengCommand
from kameng.errors import InvalidInput
from kameng.money import parse_money
from kameng.suppliers.services import get_supplier, set_offer
from kameng.upstream.adapters import REGISTRY
from kameng.upstream.services import configure_api


class Command(KamengCommand):
    help = (
        "Connect a supplier by API: its protocol adapter, base URL and credentials, and the "
        "supplier's product code and cost for each SKU it serves."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="an existing supplier")
        parser.add_argument("--adapter", default="kameng-http", choices=sorted(REGISTRY))
        parser.add_argument("--url", required=True, help="the supplier's API base URL")
        parser.add_argument("--merchant-id", required=True)
        parser.add_argument("--secret", required=True, help="stored encrypted")
        parser.add_argument(
            "--sku",
            dest="sku_offers",
            action="append",
            default=[],
            metavar="SKU_ID:CODE:COST",
            help="a SKU it serves (our SKU id), its product code there and its cost, "
            "repeatable, e.g. --sku 13:CM-50:46.00",
        )
        # The first spelling, which read as if it took a product: still accepted.
        parser.add_argument("--product", dest="sku_offers", action="append", help=argparse.SUPPRESS)

    def handle(self, *args, name, adapter, url, merchant_id, secret, sku_offers, **options) -> None:
        supplier = get_supplier(name)
        products = [self._parse(spec) for spec in sku_offers]
        configure_api(
            supplier, adapter=adapter, base_url=url, merchant_id=merchant_id, secret=secret
        )
        for sku_id, code, cost in products:
            set_offer(supplier, get_sku(sku_id), cost, remote_sku=code)
        self.print_json(
            {
                "supplier": supplier.name,
                "adapter": adapter,
                "url": supplier.api_base_url,
                "products": [{"sku_id": s, "code": c, "cost": str(k)} for s, c, k in products],
            }
        )

    @staticmethod
    def _parse(spec: str):
        parts = spec.split(":")
        if len(parts) != 3 or not parts[0].isdigit() or not parts[1]:
            raise InvalidInput(f"--sku {spec!r}: want SKU_ID:CODE:COST, e.g. 13:CM-50:46.00")
        try:
            return int(parts[0]), parts[1], parse_money(parts[2])
        except ValueError as exc:
            raise InvalidInput(f"--sku {spec!r}: {exc}") from exc
