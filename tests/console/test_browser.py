"""The consoles in a real browser, on a phone (390 px) and at a desk (1280 px): log in,
land in the console, the menu at the side (desk) or behind 菜单 (phone), nothing
scrolls sideways, and no request leaves this machine. Screenshots: console-*.png."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.browser import PHONE, SIZES, overflow_x, screenshot
from tests.console.conftest import code, log_in_page, next_window

pytestmark = pytest.mark.django_db(transaction=True)


def _visible(page, selector: str) -> bool:
    return page.locator(selector).first.is_visible()


@pytest.mark.parametrize("page", SIZES, indirect=True)
def test_a_distributor_logs_in_on_a_phone_and_at_a_desk(
    page, live_server, blocked, distributor, english
):
    phone = page.viewport_size["width"] == PHONE["width"]
    name = "phone" if phone else "desk"
    page.goto(f"{live_server.url}/console/d/")
    page.wait_for_url(f"{live_server.url}/console/login/?next=/console/d/")
    assert page.evaluate("document.documentElement.lang") == "zh-hans"
    assert overflow_x(page) == 0
    screenshot(page, f"console-login-{name}")

    page.fill("#id_username", distributor.username)
    page.fill("#id_password", distributor.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/console/d/")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "概览"
    assert overflow_x(page) == 0
    screenshot(page, f"console-distributor-{name}")

    if phone:
        assert not _visible(page, ".console-side") and not _visible(page, ".console-user")
        page.click(".console-menu__button")
        assert _visible(page, ".console-menu__panel")
        current = page.locator(".console-menu__panel [aria-current=page]")
        assert current.inner_text() == "概览"
        assert _visible(page, ".console-menu__panel >> text=退出登录")
        assert overflow_x(page) == 0
        screenshot(page, "console-distributor-phone-menu")
        page.click(".console-menu__panel >> text=退出登录")
    else:
        assert _visible(page, ".console-side") and not _visible(page, ".console-menu")
        assert page.locator(".console-side [aria-current=page]").inner_text() == "概览"
        assert distributor.username in page.locator(".console-user").inner_text()
        page.click(".console-user >> text=退出登录")
    page.wait_for_url(f"{live_server.url}/console/login/")

    # The same in English (the footer's switch).
    page.click(".lang-switch button")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("h1").inner_text() == "Sign in to the console"
    assert overflow_x(page) == 0
    assert blocked == []


@pytest.mark.parametrize("page", SIZES, indirect=True)
def test_an_operator_sets_up_two_step_verification(page, live_server, blocked, operator):
    name = "phone" if page.viewport_size["width"] == PHONE["width"] else "desk"
    log_in_page(page, live_server, person=operator)
    page.wait_for_url(f"{live_server.url}/console/o/")
    assert overflow_x(page) == 0
    screenshot(page, f"console-operator-{name}")
    page.goto(f"{live_server.url}/console/o/otp/")
    assert page.locator(".qr-box svg").is_visible()
    assert overflow_x(page) == 0
    screenshot(page, f"console-otp-setup-{name}")
    device = TOTPDevice.objects.get(user=operator.user)
    next_window(device)
    page.fill("#id_code", code(device))
    page.click("text=启用两步验证 >> nth=-1")
    page.wait_for_url(f"{live_server.url}/console/o/otp/")
    assert page.locator(".alert--success").is_visible()
    screenshot(page, f"console-otp-on-{name}")

    # Next time: the code after the password.
    page.context.clear_cookies()
    log_in_page(page, live_server, person=operator)
    page.wait_for_url(f"{live_server.url}/console/login/code/")
    assert overflow_x(page) == 0
    screenshot(page, f"console-login-code-{name}")
    next_window(device)
    page.fill("#id_code", code(device))
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/console/o/")
    assert blocked == []


@pytest.mark.parametrize("page", [pytest.param(PHONE, id="phone")], indirect=True)
def test_the_lockout_page_on_a_phone(page, live_server, blocked, distributor):
    for _ in range(5):
        page.goto(f"{live_server.url}/console/login/")
        page.fill("#id_username", distributor.username)
        page.fill("#id_password", "wrong-password")
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "登录已暂停"
    assert overflow_x(page) == 0
    screenshot(page, "console-locked-out-phone")
    assert blocked == []
