"""The storefront commands as an operator types them: shops, coupons, price tiers and
pay links; a refusal is one line and a non-zero exit, never a traceback."""

import json
import subprocess
from datetime import datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from kameng.orders.models import Order
from kameng.storefront import services
from kameng.storefront.models import Coupon, PriceTier, Storefront
from tests import factories
from tests.test_cli import KAMENG, ROOT, embedded_env

pytestmark = pytest.mark.django_db


def _json(capsys):
    return json.loads(capsys.readouterr().out)


def _refused(*args: str) -> str:
    with pytest.raises(CommandError) as refused:
        call_command(*args)
    return str(refused.value)


def test_storefront_set_and_list(world, capsys):
    call_command(
        "storefront",
        "set",
        "agent3",
        "--slug",
        "shop-a3",
        "--name",
        "三号店",
        "--colour",
        "#00AA00",
    )
    assert _json(capsys) == {
        "slug": "shop-a3",
        "agent": "agent3",
        "name": "三号店",
        "colour": "#00aa00",
        "logo": None,
        "platform": False,
        "active": True,
    }
    call_command("storefront", "set", "agent1", "--slug", "home", "--name", "平台", "--platform")
    capsys.readouterr()
    call_command("storefront", "list", "--json")
    rows = _json(capsys)
    assert [(r["slug"], r["platform"]) for r in rows] == [("home", True), ("shop-a3", False)]
    call_command("storefront", "list")
    table = capsys.readouterr().out
    assert table.splitlines()[0].split() == [
        "slug",
        "agent",
        "name",
        "colour",
        "platform",
        "active",
    ]


def test_storefront_set_takes_a_logo_file(world, capsys, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    logo = tmp_path / "logo.png"
    logo.write_bytes(factories.image_bytes())
    call_command(
        "storefront", "set", "agent3", "--slug", "shop-a3", "--name", "店", "--logo", str(logo)
    )
    assert _json(capsys)["logo"].startswith("storefront/logos/")
    (tmp_path / "fake.png").write_bytes(b"not a picture")
    message = _refused(
        "storefront",
        "set",
        "agent3",
        "--slug",
        "shop-a3",
        "--name",
        "店",
        "--logo",
        str(tmp_path / "fake.png"),
    )
    assert message.startswith("invalid_logo: ")


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--slug", "A B", "--name", "店"], "invalid_slug"),
        (["--slug", "good", "--name", "店", "--colour", "blue"], "invalid_colour"),
        (["--slug", "good"], "invalid_input"),
    ],
)
def test_storefront_set_refuses_bad_input_and_creates_nothing(world, args, code):
    assert _refused("storefront", "set", "agent3", *args).startswith(f"{code}: ")
    assert not Storefront.objects.exists()


def test_storefront_set_names_an_unknown_agent():
    assert _refused("storefront", "set", "nobody", "--slug", "x-y", "--name", "店").startswith(
        "agent_not_found: "
    )


def test_coupon_create_list_and_deactivate(world, capsys):
    other = factories.sku("50.00")
    call_command(
        "coupon",
        "create",
        *("--agent", "agent3", "--code", "summer-10", "--percent", "10", "--min", "50"),
        *("--sku", str(world.sku.pk), "--sku", str(other.pk), "--limit", "100"),
        *("--expires", "2099-12-31"),
    )
    created = _json(capsys)
    assert created == {
        "code": "SUMMER-10",
        "kind": "percent",
        "value": "10.00",
        "min_amount": "50.00",
        "skus": sorted([world.sku.pk, other.pk]),
        "usage_limit": 100,
        "used_count": 0,
        "expires_at": created["expires_at"],
        "active": True,
    }
    # Valid through the whole of that day, Beijing time.
    expires = datetime.fromisoformat(created["expires_at"]).astimezone(ZoneInfo("Asia/Shanghai"))
    assert expires.replace(tzinfo=None) == datetime(2100, 1, 1)
    call_command("coupon", "create", "--agent", "agent3", "--code", "FIVE", "--amount", "5")
    assert _json(capsys)["kind"] == "fixed"
    call_command("coupon", "list", "--agent", "agent3", "--json")
    assert [row["code"] for row in _json(capsys)] == ["FIVE", "SUMMER-10"]
    call_command("coupon", "deactivate", "--agent", "agent3", "--code", "five")
    assert _json(capsys)["active"] is False


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--code", "X!", "--amount", "5"], "invalid_coupon_code"),
        (["--code", "GOOD"], "invalid_input"),  # neither --percent nor --amount
        (["--code", "GOOD", "--percent", "101"], "invalid_input"),
        (["--code", "GOOD", "--amount", "-5"], "invalid_amount"),
        (["--code", "GOOD", "--amount", "5", "--expires", "2020-01-01"], "invalid_input"),
        (["--code", "GOOD", "--amount", "5", "--expires", "someday"], "invalid_input"),
        (["--code", "GOOD", "--amount", "5", "--sku", "999999"], "invalid_input"),
        (["--code", "GOOD", "--amount", "5", "--limit", "0"], "invalid_input"),
    ],
)
def test_coupon_create_refuses_bad_input(world, args, code):
    assert _refused("coupon", "create", "--agent", "agent3", *args).startswith(f"{code}: ")
    assert not Coupon.objects.exists()


def test_a_coupon_code_is_taken_whatever_its_case(world):
    call_command("coupon", "create", "--agent", "agent3", "--code", "ONE", "--amount", "1")
    message = _refused("coupon", "create", "--agent", "agent3", "--code", "one", "--amount", "2")
    assert message.startswith("coupon_code_taken: ")
    # Another agent's shop may have its own.
    call_command("coupon", "create", "--agent", "agent2", "--code", "one", "--amount", "1")


def test_price_tier_set_list_and_remove(world, capsys):
    sku = str(world.sku.pk)
    call_command(
        "price_tier",
        *("set", "--agent", "agent3", "--sku", sku, "--min-quantity", "10", "--price", "99.20"),
    )
    assert _json(capsys) == {"sku": world.sku.pk, "min_quantity": 10, "unit_price": "99.20"}
    call_command("price_tier", "list", "--agent", "agent3", "--json")
    assert _json(capsys) == [{"sku": world.sku.pk, "min_quantity": 10, "unit_price": "99.20"}]
    message = _refused(
        "price_tier",
        "set",
        "--agent",
        "agent3",
        "--sku",
        sku,
        "--min-quantity",
        "10",
        "--price",
        "98",
    )
    assert message.startswith("tier_price_out_of_bounds: ")
    call_command("price_tier", "remove", "--agent", "agent3", "--sku", sku, "--min-quantity", "10")
    assert not PriceTier.objects.exists()
    message = _refused(
        "price_tier", "remove", "--agent", "agent3", "--sku", sku, "--min-quantity", "10"
    )
    assert message.startswith("price_tier_not_found: ")


def test_pay_link_prints_a_working_pay_url(world, gateway, capsys, settings):
    settings.KAMENG_PUBLIC_URL = "https://kameng.example.com"
    call_command(
        "pay_link",
        *("--seller", "agent3", "--sku", str(world.sku.pk), "--quantity", "2"),
        *("--contact", "buyer@example.com"),
    )
    printed = _json(capsys)
    order = Order.objects.get(order_no=printed["order_no"])
    assert printed["amount"] == "200.00" and order.amount == Decimal("200.00")
    assert order.status == "created" and order.checkout.contact == "buyer@example.com"
    url = urlsplit(printed["pay_url"])
    assert (url.scheme, url.netloc, url.path) == (
        "https",
        "kameng.example.com",
        f"/pay/{order.order_no}/",
    )
    (token,) = parse_qs(url.query)["t"]
    assert services.check_access_token(order.order_no, token)
    assert not services.check_access_token(order.order_no, token.upper())


def test_pay_link_refuses_bad_input_and_creates_nothing(world, gateway):
    sku = str(world.sku.pk)
    cases = [
        (["--seller", "agent3", "--sku", sku, "--contact", "nobody"], "invalid_contact"),
        (["--seller", "agent3", "--sku", sku, "--quantity", "0"], "invalid_input"),
        (["--seller", "agent3", "--sku", sku, "--account", "13800138000"], "invalid_recharge"),
        (["--seller", "agent3", "--sku", "999999"], "sku_not_found"),
        (["--seller", "nobody", "--sku", sku], "agent_not_found"),
    ]
    for args, code in cases:
        assert _refused("pay_link", *args).startswith(code)
    assert not Order.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_installed_command_refuses_in_one_line_without_a_traceback(tmp_path):
    def kameng(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [KAMENG, *args],
            cwd=ROOT,
            env=embedded_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=300,
        )

    assert kameng("migrate", "--noinput", "-v0").returncode == 0
    for args in [
        ["storefront", "set", "nobody", "--slug", "shop", "--name", "店"],
        ["coupon", "create", "--agent", "nobody", "--code", "X", "--amount", "1"],
        ["pay-link", "--seller", "nobody", "--sku", "1"],
        ["price-tier", "set", "--agent", "nobody", "--sku", "1"],
    ]:
        done = kameng(*args)
        assert done.returncode != 0, args
        assert "Traceback" not in done.stderr
        assert done.stderr.strip().splitlines() == [
            "CommandError: agent_not_found: no agent named 'nobody'"
        ], done.stderr
    usage = kameng("price-tier", "set", "--agent", "a", "--sku", "one")
    assert usage.returncode != 0 and "Traceback" not in usage.stderr
    assert "usage: kameng price-tier" in usage.stderr


def test_pay_link_says_when_no_gateway_is_configured(world):
    message = _refused("pay_link", "--seller", "agent3", "--sku", str(world.sku.pk))
    assert message.startswith("gateway_not_configured: ")
    assert not Order.objects.exists()
