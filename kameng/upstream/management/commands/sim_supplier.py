"""`kameng sim-supplier`: run a simulated kameng-supply v1 supplier until interrupted.

Prints one JSON line ({"url", "merchant_id", "products"}) once it listens, so scripts
can start it with --port 0 and read where it is.
"""

import argparse
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from kameng.commands import KamengCommand
from kameng.money import parse_money
from kameng.simulation import serve_until_signalled
from kameng.upstream.simulator import SimConfig, SimProduct, SimulatedSupplier

# Used when neither --product nor --catalog is given, so a bare start is useful at once.
DEFAULT_CATALOG = {
    "SIM-10": SimProduct(Decimal("9.50")),
    "SIM-50": SimProduct(Decimal("47.50")),
    "SIM-100": SimProduct(Decimal("95.00")),
}


def _price(text: str) -> Decimal:
    try:
        price = parse_money(text)
    except ValueError as exc:
        raise ValueError(f"bad price {text!r} (an amount like 9.50)") from exc
    if price < 0:
        raise ValueError(f"bad price {text!r}: negative")
    return price


def _stock(value: Any) -> int | None:
    """None or -1: unlimited; otherwise a count ≥ 0."""
    if value is None:
        return None
    try:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValueError
        stock = int(value)
        if stock < -1:
            raise ValueError
    except ValueError as exc:
        raise ValueError(f"bad stock {value!r} (a count, -1 for unlimited)") from exc
    return None if stock == -1 else stock


def product_arg(text: str) -> tuple[str, SimProduct]:
    """CODE:PRICE[:STOCK], e.g. CMCC-10:9.50:100."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[0]:
        raise argparse.ArgumentTypeError(f"--product wants CODE:PRICE[:STOCK], got {text!r}")
    try:
        price = _price(parts[1])
        stock = _stock(parts[2]) if len(parts) == 3 else None
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--product {text!r}: {exc}") from exc
    return parts[0], SimProduct(price=price, stock=stock)


def rate_arg(text: str) -> float:
    try:
        rate = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a rate: {text!r}") from exc
    if not 0.0 <= rate <= 1.0:
        raise argparse.ArgumentTypeError(f"a rate is between 0 and 1, got {text!r}")
    return rate


def duration_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc
    if not value >= 0:  # also refuses NaN
        raise argparse.ArgumentTypeError(f"must be ≥ 0, got {text!r}")
    return value


def load_catalog(path: str) -> dict[str, SimProduct]:
    """{"CODE": {"price": "9.50", "stock": 100, "on": true}, ...}; stock/on optional."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"), parse_float=Decimal)
    except OSError as exc:
        raise CommandError(f"--catalog {path}: cannot read: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise CommandError(f"--catalog {path}: not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise CommandError(f'--catalog {path}: want {{"CODE": {{"price": "9.50", ...}}, ...}}')
    products = {}
    for code, item in data.items():
        if not isinstance(item, dict) or "price" not in item:
            raise CommandError(f"--catalog {path}: {code!r} wants an object with a price")
        unknown = set(item) - {"price", "stock", "on"}
        if unknown:
            raise CommandError(f"--catalog {path}: {code!r} has unknown keys {sorted(unknown)}")
        on = item.get("on", True)
        if not isinstance(on, bool):
            raise CommandError(f"--catalog {path}: {code!r}: on must be true or false")
        try:
            price = item["price"]
            if isinstance(price, bool) or not isinstance(price, str | int | Decimal):
                raise ValueError(f"bad price {price!r}")
            products[code] = SimProduct(
                price=_price(str(price)), stock=_stock(item.get("stock")), on=on
            )
        except ValueError as exc:
            raise CommandError(f"--catalog {path}: {code!r}: {exc}") from exc
    return products


class Command(KamengCommand):
    help = (
        "Run a simulated supplier speaking kameng-supply v1 (docs/SUPPLIER_PROTOCOL.md) "
        "until interrupted. Magic accounts: FAIL, REFUSE, BADACCT, HANG, DUP, FORGE, LATE, NOCB."
    )
    requires_system_checks: list[str] = []  # needs no database; start fast
    json_option = False  # its one line of JSON is already for scripts

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=9100, help="0: any free port")
        parser.add_argument("--merchant-id", default="sim")
        parser.add_argument("--secret", default="sim-secret")
        parser.add_argument("--latency-ms", type=duration_arg, default=0.0)
        parser.add_argument("--process-ms", type=duration_arg, default=200.0)
        parser.add_argument("--fail-rate", type=rate_arg, default=0.0)
        parser.add_argument("--refuse-rate", type=rate_arg, default=0.0)
        parser.add_argument("--timeout-rate", type=rate_arg, default=0.0)
        parser.add_argument("--hang-seconds", type=duration_arg, default=30.0)
        parser.add_argument("--bad-sign-rate", type=rate_arg, default=0.0)
        parser.add_argument("--duplicate-callback-rate", type=rate_arg, default=0.0)
        parser.add_argument("--callback-delay-ms", type=duration_arg, default=0.0)
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument(
            "--product",
            type=product_arg,
            action="append",
            default=[],
            metavar="CODE:PRICE[:STOCK]",
            help="repeatable; no STOCK (or -1): unlimited",
        )
        parser.add_argument(
            "--catalog",
            metavar="FILE.json",
            help='{"CODE": {"price": "9.50", "stock": 100}, ...}; --product adds to it',
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if not opts["merchant_id"]:
            raise CommandError("--merchant-id must not be empty")
        if not opts["secret"]:
            raise CommandError("--secret must not be empty")
        if not 0 <= opts["port"] <= 65535:
            raise CommandError(f"--port must be 0..65535, got {opts['port']}")
        products = load_catalog(opts["catalog"]) if opts["catalog"] else {}
        products.update(dict(opts["product"]))
        if not opts["catalog"] and not opts["product"]:
            products = dict(DEFAULT_CATALOG)
        config = SimConfig(
            merchant_id=opts["merchant_id"],
            secret=opts["secret"],
            products=products,
            latency=opts["latency_ms"] / 1000,
            process_time=opts["process_ms"] / 1000,
            fail_rate=opts["fail_rate"],
            refuse_rate=opts["refuse_rate"],
            timeout_rate=opts["timeout_rate"],
            hang_seconds=opts["hang_seconds"],
            bad_sign_rate=opts["bad_sign_rate"],
            duplicate_callback_rate=opts["duplicate_callback_rate"],
            callback_delay=opts["callback_delay_ms"] / 1000,
            seed=opts["seed"],
        )
        sim = SimulatedSupplier(config, host=opts["host"], port=opts["port"])
        try:
            sim.start()
        except OSError as exc:
            raise CommandError(f"cannot listen on {opts['host']}:{opts['port']}: {exc}") from exc
        line = {
            "url": sim.url,
            "merchant_id": config.merchant_id,
            "products": {
                code: {
                    "price": f"{p.price:.2f}",
                    "stock": -1 if p.stock is None else p.stock,
                    "on": p.on,
                }
                for code, p in products.items()
            },
        }
        serve_until_signalled(sim, line, self.stdout)
