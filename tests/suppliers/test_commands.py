"""Supplier commands' options say what they take: a product id, or a SKU id (the old
spellings still work, unadvertised)."""

import json

import pytest
from django.core.management import call_command

from kameng.catalog import services as catalog
from kameng.suppliers.models import SupplierApplication
from tests import factories

pytestmark = pytest.mark.django_db


def _help(capsys, command: str) -> str:
    with pytest.raises(SystemExit):
        call_command(command, "--help")
    return capsys.readouterr().out


def test_supplier_apply_takes_product_ids_as_product_id(capsys, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    document = tmp_path / "licence.pdf"
    document.write_bytes(factories.PDF_BYTES)
    first = catalog.create_product("游戏点卡", "授权商品甲")
    second = catalog.create_product("游戏点卡", "授权商品乙")
    for option, company, product in (
        ("--product-id", "新名字科技有限公司", first),
        ("--product", "旧名字科技有限公司", second),  # the first spelling, still accepted
    ):
        call_command(
            "supplier_apply",
            f"--company={company}",
            f"--licence={factories.licence_number()}",
            "--contact-name=李四",
            "--contact-phone=13800138000",
            "--email=li@example.com",
            option,
            str(product.pk),
            f"--document={document}",
        )
        applied = json.loads(capsys.readouterr().out)
        assert applied["goods"] == [{"id": product.pk, "name": product.name}]
    assert SupplierApplication.objects.count() == 2

    shown = _help(capsys, "supplier_apply")
    assert "--product-id PRODUCT_ID" in shown
    assert "--product " not in shown and "--product=" not in shown
