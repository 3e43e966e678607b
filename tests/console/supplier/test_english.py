"""The supplier console in English (the footer's language switch): every page it
shows is translated, none left in Chinese where a translation exists."""

import re

import pytest
from django.conf import settings

from tests.console.conftest import log_in
from tests.web.conftest import reload_translations

pytestmark = pytest.mark.django_db

PAGES = (
    "/console/s/",
    "/console/s/application/",
    "/console/s/batches/",
    "/console/s/connection/",
    "/console/s/statements/",
    "/console/s/complaints/?show=all",
)


def _visible_text(html: str) -> str:
    main = html[html.index('class="console-main"') : html.index("</main>")]
    return re.sub(r"<[^>]+>", " ", main)


def test_the_pages_read_in_english(client, supplier_person, world, english):
    log_in(client, supplier_person)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    reload_translations()
    client.post("/console/s/batches/", {"sku": world.sku.pk, "text": "E-1,one\nE-1,one"})
    for url in PAGES:
        page = client.get(url).content.decode()
        assert 'lang="en"' in page, url
        text = _visible_text(page)
        # Only the data may be Chinese (product and supplier names, the world's).
        for name in (world.sku.product.name, world.sku.name, world.supplier.name):
            text = text.replace(name, "")
        assert not re.search(r"[\u4e00-\u9fff]", text), (
            url,
            re.findall(r"\S*[\u4e00-\u9fff]+\S*", text),
        )
    report = _visible_text(client.get("/console/s/batches/").content.decode())
    assert "Stock per product" in report and "Imports" in report
