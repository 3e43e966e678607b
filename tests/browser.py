"""A real browser for page tests: Playwright driving Debian's chromium (installed by
`make test` when missing; Playwright's own browser download cannot work here).
Loaded for every test directory by tests/conftest.py; screenshots go to
var/test/screenshots so a person can look at what the tests saw."""

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# `@pytest.mark.parametrize("page", SIZES, indirect=True)`: a test on a phone and a desk.
SIZES = [pytest.param(PHONE, id="phone"), pytest.param(DESKTOP, id="desk")]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One chromium per test module: Playwright's sync API keeps an event loop in this
    thread while it runs, which Django would take for async code in the tests after."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # The tests' own database calls (fixtures, the flush after each test) are plain
    # synchronous code: tell Django so while the loop runs, and only then (subprocesses
    # that other modules start must not inherit it).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=FLAGS
            )
            yield launched
            launched.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, request) -> Iterator[object]:
    """A fresh page at desktop size (mark a test `viewport=PHONE` via parametrize to
    change it); Chinese first, as a buyer or operator in China has it."""
    size = getattr(request, "param", DESKTOP)
    context = browser.new_context(viewport=size, locale="zh-CN", timezone_id="Asia/Shanghai")
    opened = context.new_page()
    yield opened
    context.close()


def size_name(page) -> str:
    """ "phone" or "desk": the page's viewport, for screenshot names."""
    return "phone" if page.viewport_size["width"] == PHONE["width"] else "desk"


@pytest.fixture
def blocked(page, live_server) -> list[str]:
    """Every request for anything but the live server is refused and recorded (pages
    must work offline: no CDN, no web font, no image service)."""
    here = urlsplit(live_server.url).netloc
    refused: list[str] = []

    def route(request_route) -> None:
        url = request_route.request.url
        if urlsplit(url).netloc == here:
            request_route.continue_()
        else:
            refused.append(url)
            request_route.abort()

    page.context.route("**/*", route)
    return refused


def screenshot(page, name: str) -> Path:
    folder = Path(settings.DATA_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def overflow_x(page) -> int:
    """How many pixels the page is wider than its window (0: nothing to scroll sideways).

    Measured once the page has loaded: an element can be found while the page is still
    arriving, before its stylesheet applies."""
    page.wait_for_load_state("load")
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
