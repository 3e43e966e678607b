from django.core.management.base import CommandError

from kameng.commands import KamengCommand
from kameng.payments import services
from kameng.payments.gateways.base import MIN_KEY_LENGTH
from kameng.payments.queries import config_view, gateway_configs


class Command(KamengCommand):
    help = (
        "Configure the payment gateway buyers pay through, or show it. "
        "`set epay --url URL --pid PID --key KEY [--types alipay,wxpay] [--disabled]`: the "
        f"易支付 merchant account (the key at least {MIN_KEY_LENGTH} characters; an empty or "
        "short key is refused: anybody could sign for it). `show [NAME]`: the settings, "
        "never the key."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["set", "show"])
        parser.add_argument("name", nargs="?", help="the gateway (protocol): epay")
        parser.add_argument("--url", help="the gateway's base URL (https)")
        parser.add_argument("--pid", help="merchant id (商户号)")
        parser.add_argument("--key", help="merchant key (商户密钥)")
        parser.add_argument(
            "--types", default="alipay,wxpay", help="payment types offered, comma-separated"
        )
        parser.add_argument("--disabled", action="store_true", help="store it switched off")

    def handle(self, *args, action: str, name: str | None, **opts) -> None:
        if action == "show":
            configs = [c for c in gateway_configs() if name is None or c.name == name]
            if name is not None and not configs:
                raise CommandError(f"gateway_not_configured: no payment gateway {name!r}")
            self.print_json([config_view(c) for c in configs])
            return
        if not name:
            raise CommandError("say which gateway to set: `kameng payment-gateway set epay ...`")
        missing = [f"--{o}" for o in ("url", "pid", "key") if opts[o] is None]
        if missing:
            raise CommandError(f"`set` needs {', '.join(missing)}")
        config = services.configure_gateway(
            name,
            url=opts["url"],
            pid=opts["pid"],
            key=opts["key"],
            types=opts["types"],
            enabled=not opts["disabled"],
        )
        self.print_json(config_view(config))
