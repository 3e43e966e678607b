"""接口对接: an API supplier keeps its address, merchant id and a write-only secret, and
tests the connection against a real (simulated) supplier over HTTP."""

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest

from kameng import vault
from kameng.suppliers import services as suppliers
from kameng.suppliers.models import Offer, Supplier
from kameng.upstream import services as upstream
from kameng.upstream.simulator import SimConfig, SimProduct, SimulatedSupplier
from tests import factories
from tests.console.conftest import log_in

pytestmark = pytest.mark.django_db

URL = "/console/s/connection/"
TEST_URL = "/console/s/connection/test/"
SECRET = "sim-secret"


@pytest.fixture
def sim() -> Iterator[SimulatedSupplier]:
    products = {"QB-10": SimProduct(Decimal("9.30"), stock=120)}
    with SimulatedSupplier(SimConfig(products=products)) as running:
        yield running


@pytest.fixture
def api_supplier(world, sim) -> Supplier:
    """The world's supplier, connected by API to the simulator, offering one top-up."""
    upstream.configure_api(
        world.supplier, adapter="kameng-http", base_url=sim.url, merchant_id="sim", secret=SECRET
    )
    suppliers.set_offer(
        world.supplier, factories.direct_sku("10.00", "QQ币"), Decimal("9.50"), remote_sku="QB-10"
    )
    return Supplier.objects.get(pk=world.supplier.pk)


@pytest.fixture
def signed_in(client, supplier_person):
    log_in(client, supplier_person)
    return client


def _stored(supplier: Supplier) -> dict:
    return Supplier.objects.filter(pk=supplier.pk).values().get()


def test_a_manual_supplier_is_told_it_needs_no_connection(signed_in, world):
    before = _stored(world.supplier)
    page = signed_in.get(URL).content.decode()
    assert "当前供货方式：手工上卡" in page and 'name="api_base_url"' not in page
    assert (
        signed_in.post(URL, {"adapter": "kameng-http", "api_base_url": "http://x"}).status_code
        == 302
    )
    assert signed_in.post(TEST_URL).status_code == 302
    assert "连接测试未通过" in signed_in.get(URL).content.decode()
    assert _stored(world.supplier) == before


def test_the_secret_is_write_only(signed_in, api_supplier):
    page = signed_in.get(URL).content.decode()
    assert "已设置" in page
    assert SECRET not in page and api_supplier.api_secret_encrypted not in page
    assert 'value="http://127.0.0.1' in page  # the address is shown back, the secret never

    # Saved with the secret left empty: the stored one stays.
    response = signed_in.post(
        URL,
        {
            "adapter": "kameng-http",
            "api_base_url": api_supplier.api_base_url + "/",
            "merchant_id": "sim",
            "api_secret": "",
        },
    )
    assert response.status_code == 302
    kept = Supplier.objects.get(pk=api_supplier.pk)
    assert kept.api_secret_encrypted == api_supplier.api_secret_encrypted
    assert kept.api_base_url == api_supplier.api_base_url

    # A new one replaces it, stored encrypted.
    signed_in.post(
        URL,
        {
            "adapter": "kameng-http",
            "api_base_url": api_supplier.api_base_url,
            "merchant_id": "sim",
            "api_secret": "a-new-secret",
        },
    )
    changed = Supplier.objects.get(pk=api_supplier.pk)
    assert vault.decrypt(changed.api_secret_encrypted) == "a-new-secret"
    assert "a-new-secret" not in signed_in.get(URL).content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"api_base_url": "", "merchant_id": "sim"}, "api_base_url"),
        ({"api_base_url": "ftp://x.example", "merchant_id": "sim"}, "api_base_url"),
        ({"api_base_url": "http://x.example", "merchant_id": ""}, "merchant_id"),
        ({"api_base_url": "http://x.example", "merchant_id": "m", "adapter": "nope"}, "adapter"),
    ],
)
def test_incomplete_settings_are_refused_and_nothing_changes(signed_in, api_supplier, data, field):
    before = _stored(api_supplier)
    response = signed_in.post(URL, {"adapter": "kameng-http", **data})
    assert response.status_code == 400
    page = response.content.decode()
    marked = re.findall(r'<div class="field field--invalid">\s*<label [^>]*for="id_(\w+)"', page)
    assert marked == [field]
    assert _stored(api_supplier) == before


def test_testing_the_connection_shows_what_the_supplier_said(signed_in, api_supplier, sim):
    response = signed_in.post(TEST_URL)
    assert response.status_code == 302 and response["Location"] == URL
    page = signed_in.get(URL).content.decode()
    result = page[page.index('id="connection-result"') :]
    assert "连接成功" in result and "QB-10" in result
    assert "¥9.30" in result and ">120<" in result
    assert sim.product_queries == 1
    assert Offer.objects.get(supplier=api_supplier, remote_sku="QB-10").remote_stock == 120


def test_a_wrong_secret_shows_the_failure(signed_in, api_supplier, sim):
    upstream.configure_api(
        api_supplier,
        adapter="kameng-http",
        base_url=sim.url,
        merchant_id="sim",
        secret="not-the-secret",
    )
    signed_in.post(TEST_URL)
    page = signed_in.get(URL).content.decode()
    result = page[page.index('id="connection-result"') :]
    assert "连接失败" in result and "signature" in result
    assert "not-the-secret" not in page


def test_the_test_button_takes_only_post(signed_in, api_supplier):
    assert signed_in.get(TEST_URL).status_code == 405


def test_the_page_costs_a_few_queries(signed_in, api_supplier, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        assert signed_in.get(URL).status_code == 200


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000", "http://localhost/api", "http://169.254.169.254/", "http://10.0.0.7"],
)
def test_a_supplier_cannot_point_kameng_at_a_private_address(
    signed_in, api_supplier, settings, url
):
    settings.KAMENG_WEBHOOK_ALLOW_PRIVATE = False
    before = _stored(api_supplier)
    response = signed_in.post(
        URL, {"adapter": "kameng-http", "api_base_url": url, "merchant_id": "sim"}
    )
    assert response.status_code == 400
    assert "API 地址须为可从公网访问的 http(s) 地址" in response.content.decode()
    assert _stored(api_supplier) == before
