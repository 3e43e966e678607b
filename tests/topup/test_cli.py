import json

import pytest
from django.core.management import CommandError, call_command

from kameng.suppliers.models import Offer
from tests import factories
from tests.live import PRODUCT


@pytest.mark.usefixtures("worker")
def test_an_operator_connects_a_supplier_and_an_agent_tops_up_from_the_cli(
    direct_world, sims, capsys
):
    sim = sims(latency=0.2, process_time=0.2)
    source = factories.supplier("速充")
    call_command(
        "connect_supplier",
        source.name,
        "--url",
        sim.url,
        "--merchant-id",
        "sim",
        "--secret",
        "sim-secret",
        "--product",
        f"{direct_world.direct.pk}:{PRODUCT}:45.00",
    )
    assert json.loads(capsys.readouterr().out)["products"][0]["code"] == PRODUCT
    assert Offer.objects.get(supplier=source).remote_sku == PRODUCT

    call_command(
        "place_order",
        "--agent",
        "agent3",
        "--sku",
        str(direct_world.direct.pk),
        "--out-trade-no",
        "cli-1",
        "--account",
        "13800138000",
        "--wait",
        "5",
    )
    shown = json.loads(capsys.readouterr().out)
    assert (shown["status"], shown["account"], shown["amount"]) == (
        "delivered",
        "13800138000",
        "49.25",
    )


def test_connect_supplier_refuses_bad_input_and_changes_nothing(direct_world):
    source = factories.supplier("手工")
    for bad in (["--url", "ftp://x"], ["--product", "x:y"], ["--product", "1:C:abc"]):
        args = {"--url": "http://127.0.0.1:1", **dict(zip(bad[::2], bad[1::2], strict=True))}
        flat = [item for pair in args.items() for item in pair]
        with pytest.raises(CommandError):
            call_command(
                "connect_supplier", source.name, "--merchant-id", "m", "--secret", "s", *flat
            )
    source.refresh_from_db()
    assert (source.mode, source.adapter, source.api_secret_encrypted) == ("manual", "", "")
