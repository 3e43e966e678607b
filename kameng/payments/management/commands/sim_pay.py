"""`kameng sim-pay`: run a simulated 易支付 (epay) provider until interrupted.

Prints one JSON line ({"url", "pid"}) once it listens, so scripts can start it with
--port 0 and read where it is. Its config can be changed while it runs: POST JSON to
<url>/_sim/config (see kameng/payments/simulator.py).
"""

import argparse
from typing import Any

from django.core.management.base import CommandError

from kameng.commands import KamengCommand
from kameng.payments.gateways.base import MIN_KEY_LENGTH
from kameng.payments.simulator import DEFAULT_KEY, DEFAULT_PID, SimPayConfig, SimulatedEpay
from kameng.simulation import serve_until_signalled


def rate_arg(text: str) -> float:
    try:
        rate = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a rate: {text!r}") from exc
    if not 0.0 <= rate <= 1.0:  # also refuses NaN
        raise argparse.ArgumentTypeError(f"a rate is between 0 and 1, got {text!r}")
    return rate


def milliseconds_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc
    if not 0 <= value < 86_400_000:  # also refuses NaN and infinity
        raise argparse.ArgumentTypeError(f"must be ≥ 0 milliseconds, got {text!r}")
    return value


def count_arg(low: int, high: int) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from exc
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be {low}..{high}, got {text!r}")
        return value

    return parse


class Command(KamengCommand):
    help = (
        "Run a simulated 易支付 (epay, MD5) payment provider until interrupted: submit.php "
        "with a cashier page (支付 / 取消), mapi.php, api.php (query, refund) and signed "
        "notifies that may be delayed, repeated, reordered or dropped."
    )
    requires_system_checks: list[str] = []  # needs no database; start fast
    json_option = False  # its one line of JSON is already for scripts

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=9300, help="0: any free port")
        parser.add_argument("--pid", default=DEFAULT_PID, help="merchant id")
        parser.add_argument(
            "--key", default=DEFAULT_KEY, help=f"merchant key, ≥ {MIN_KEY_LENGTH} characters"
        )
        parser.add_argument(
            "--notify-delay-ms", type=milliseconds_arg, default=0.0, help="payment → notify"
        )
        parser.add_argument(
            "--notify-repeat",
            type=count_arg(1, 100),
            default=1,
            help="copies of each notify, sent at the same moment",
        )
        parser.add_argument(
            "--notify-retries",
            type=count_arg(0, 1000),
            default=5,
            help="resends when the answer is not `success` (after 1, 2, 5, 10, 30 s)",
        )
        parser.add_argument(
            "--drop-rate", type=rate_arg, default=0.0, help="share of trades never notified"
        )
        parser.add_argument(
            "--repeat-rate",
            type=rate_arg,
            default=0.0,
            help="share of trades notified again after acknowledging",
        )
        parser.add_argument(
            "--reorder", action="store_true", help="send notifies due together shuffled"
        )
        parser.add_argument("--notify-method", choices=["GET", "POST"], default="GET")
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args: Any, **opts: Any) -> None:
        if not opts["pid"]:
            raise CommandError("--pid must not be empty")
        if len(opts["key"]) < MIN_KEY_LENGTH:
            raise CommandError(
                f"--key must have at least {MIN_KEY_LENGTH} characters "
                "(Kameng's epay gateway refuses shorter keys)"
            )
        if not 0 <= opts["port"] <= 65535:
            raise CommandError(f"--port must be 0..65535, got {opts['port']}")
        config = SimPayConfig(
            pid=opts["pid"],
            key=opts["key"],
            notify_delay=opts["notify_delay_ms"] / 1000,
            notify_repeat=opts["notify_repeat"],
            notify_retries=opts["notify_retries"],
            drop_rate=opts["drop_rate"],
            repeat_rate=opts["repeat_rate"],
            reorder=opts["reorder"],
            notify_method=opts["notify_method"],
            seed=opts["seed"],
        )
        try:
            config.check()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        sim = SimulatedEpay(config, host=opts["host"], port=opts["port"])
        try:
            sim.start()
        except OSError as exc:
            sim.stop()
            raise CommandError(f"cannot listen on {opts['host']}:{opts['port']}: {exc}") from exc
        serve_until_signalled(sim, {"url": sim.url, "pid": config.pid}, self.stdout)
