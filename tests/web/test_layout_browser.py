"""The shared layout in a real browser, as a buyer on a phone (390 px) and an operator at
a desk (1280 px) see it: nothing scrolls sideways, the grid has 2 or 4 columns, touch
targets are large, copy buttons copy, and no request leaves this machine."""

import pytest
from django.conf import settings

from tests.browser import PHONE, SIZES, overflow_x, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def _open(page, live_server, *, language: str = "") -> None:
    if language:
        page.context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
        )
    page.goto(f"{live_server.url}/_style/")
    page.wait_for_load_state("networkidle")


def _grid_columns(page) -> int:
    return page.evaluate(
        "getComputedStyle(document.querySelector('.product-grid'))"
        ".gridTemplateColumns.split(' ').length"
    )


def _smallest(page, selector: str, prop: str) -> float:
    return page.evaluate(
        f"""Math.min(...Array.from(document.querySelectorAll({selector!r}))
            .map(e => {{ const r = e.getBoundingClientRect(); return r.width && r.{prop}; }})
            .filter(v => v))"""
    )


@pytest.mark.parametrize("page", SIZES, indirect=True)
def test_the_style_page_fits_and_works(page, live_server, settings, blocked, english):
    settings.DEBUG = True
    phone = page.viewport_size["width"] == PHONE["width"]
    name = "phone" if phone else "desk"
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    _open(page, live_server)
    screenshot(page, f"web-style-{name}")

    assert page.evaluate("document.documentElement.lang") == "zh-hans"
    assert overflow_x(page) == 0
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert _grid_columns(page) == (2 if phone else 4)
    assert page.evaluate("typeof htmx === 'object' && htmx.version.startsWith('2.')")
    # Inputs at 16 px (iOS zooms in below it) and at least 44 px tall, as are buttons.
    assert page.evaluate(
        "Array.from(document.querySelectorAll('.form input:not([type=checkbox]):not([type=radio])"
        ":not([type=hidden])')).every(e => getComputedStyle(e).fontSize === '16px')"
    )
    assert (
        _smallest(
            page, ".form input:not([type=hidden]):not([type=checkbox]):not([type=radio])", "height"
        )
        >= 44
    )
    assert _smallest(page, ".btn:not(.btn--sm)", "height") >= 44
    assert _smallest(page, ".field--choices label", "height") >= 44

    copy = page.locator(".secret__copy").first
    copy.scroll_into_view_if_needed()
    copy.click()
    page.wait_for_function(
        "document.querySelector('.secret__copy').textContent === '已复制'", timeout=5000
    )
    assert page.evaluate("navigator.clipboard.readText()") == "2026 1207 8832 0041"
    shots = screenshot(page, f"web-style-{name}-copied").parent
    page.locator(".secret").first.screenshot(path=str(shots / f"web-copied-{name}.png"))
    # The label comes back.
    page.wait_for_function(
        "document.querySelector('.secret__copy').textContent === '复制'", timeout=5000
    )

    _open(page, live_server, language="en")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert overflow_x(page) == 0
    screenshot(page, f"web-style-{name}-en")
    assert blocked == []


@pytest.mark.parametrize("page", [pytest.param(PHONE, id="phone")], indirect=True)
def test_a_light_storefront_colour_keeps_its_buttons_readable(page, live_server, settings, blocked):
    settings.DEBUG = True
    page.goto(f"{live_server.url}/_style/?brand=%23ffd400")
    ink = page.evaluate("getComputedStyle(document.querySelector('.btn--primary')).color")
    assert ink == "rgb(31, 35, 41)"  # dark text on yellow, not white
    screenshot(page, "web-style-phone-yellow")
    assert blocked == []
