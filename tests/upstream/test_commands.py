"""The connect-supplier command's options say what they take: a SKU id (the old spelling
still works, unadvertised)."""

import json

import pytest
from django.core.management import call_command

from kameng.suppliers.models import Offer
from tests import factories

pytestmark = pytest.mark.django_db


def _help(capsys, command: str) -> str:
    with pytest.raises(SystemExit):
        call_command(command, "--help")
    return capsys.readouterr().out


def test_connect_supplier_takes_sku_ids_as_sku(capsys):
    source = factories.supplier("接口供应商")
    first, second = factories.sku("50.00", kind="direct"), factories.sku("30.00", kind="direct")
    call_command(
        "connect_supplier",
        source.name,
        *("--url", "http://127.0.0.1:9", "--merchant-id", "M1", "--secret", "s"),
        *("--sku", f"{first.pk}:CM-50:46.00"),
        *("--product", f"{second.pk}:CM-30:27.00"),  # the first spelling, still accepted
    )
    shown = json.loads(capsys.readouterr().out)
    assert [p["sku_id"] for p in shown["products"]] == [first.pk, second.pk]
    assert sorted(Offer.objects.filter(supplier=source).values_list("sku_id", "remote_sku")) == [
        (first.pk, "CM-50"),
        (second.pk, "CM-30"),
    ]

    helped = _help(capsys, "connect_supplier")
    assert "--sku SKU_ID:CODE:COST" in helped
    assert "--product" not in helped
