"""The distributor console in a real browser, on a phone (390 px) and at a desk
(1280 px): the flows a distributor must be able to finish (invite a newcomer who joins
and gets priced, an API key's secret seen once, the dashboard's chart drawn), nothing
scrolling sideways, and screenshots of the main pages (console-distributor-*.png)."""

import pytest

from kameng.agents.models import Agent
from kameng.agents.pricing import quote
from kameng.orders import services as orders
from tests.browser import SIZES, overflow_x, screenshot, size_name
from tests.console.conftest import PASSWORD, log_in_page

pytestmark = pytest.mark.django_db(transaction=True)


def _look(page, name: str) -> None:
    """No sideways scroll, then a screenshot for a person to look at."""
    assert overflow_x(page) == 0, name
    screenshot(page, f"console-distributor-{name}-{size_name(page)}")


@pytest.mark.parametrize("page", SIZES, indirect=True)
def test_an_invited_newcomer_joins_and_is_priced(page, browser, live_server, distributor, world):
    log_in_page(page, live_server, lands="/console/d/", person=distributor)
    page.goto(f"{live_server.url}/console/d/agents/")
    page.fill("#id_label", "小李")
    page.click("text=生成邀请链接")
    page.wait_for_selector(".invite .secret__value")
    link = page.locator(".invite .secret__value").first.inner_text()
    assert "/console/join/" in link
    _look(page, "agents")

    # The newcomer, in a browser of their own.
    other = browser.new_context(viewport=page.viewport_size, locale="zh-CN")
    newcomer = other.new_page()
    newcomer.goto(link)
    assert "agent2" in newcomer.locator("main").inner_text()
    assert overflow_x(newcomer) == 0
    screenshot(newcomer, f"console-distributor-join-{size_name(page)}")
    newcomer.fill("#id_username", "xiaoli")
    newcomer.fill("#id_password", PASSWORD)
    newcomer.fill("#id_password2", PASSWORD)
    newcomer.click("button[type=submit]")
    newcomer.wait_for_url(f"{live_server.url}/console/d/")
    assert newcomer.locator("h1").inner_text() == "概览"
    other.close()
    newbie = Agent.objects.get(user__username="xiaoli")
    assert newbie.parent_id == world.a2.pk

    page.goto(f"{live_server.url}/console/d/agents/")
    assert "xiaoli" in page.locator("main").inner_text()
    page.click("text=设置下级进货价")
    page.wait_for_url(f"{live_server.url}/console/d/prices/")
    _look(page, "prices")
    page.locator(f"a[href='/console/d/prices/{world.sku.pk}/']").first.click()
    page.fill("#id_sub_agent_price", "96.00")  # below its cost of 97.00: refused
    page.click("text=保存价格")
    assert "价格须在成本价与面值之间" in page.locator("main").inner_text()
    page.fill("#id_sub_agent_price", "99.00")
    page.click("text=保存价格")
    page.wait_for_url(f"{live_server.url}/console/d/prices/")
    assert "价格已保存" in page.locator("main").inner_text()
    assert quote(newbie, world.sku).links[-1].unit_price == 99


@pytest.mark.parametrize("page", SIZES, indirect=True)
def test_an_api_keys_secret_is_seen_once(page, live_server, distributor, world):
    log_in_page(page, live_server, lands="/console/d/", person=distributor)
    page.goto(f"{live_server.url}/console/d/api/")
    page.fill("#id_label", "ERP")
    page.click("text=创建密钥")
    page.wait_for_selector(".new-key")
    secret = page.locator(".new-key .secret__value").nth(1).inner_text()
    assert len(secret) >= 40
    _look(page, "api")
    page.reload()
    assert page.locator(".new-key").count() == 0
    assert secret not in page.content()
    page.goto(f"{live_server.url}/console/d/")
    page.goto(f"{live_server.url}/console/d/api/")
    assert secret not in page.content()


@pytest.mark.parametrize("page", SIZES, indirect=True)
def test_the_dashboard_and_the_main_pages(page, live_server, distributor, world):
    mine = orders.place_order(agent=world.a2, sku_id=world.sku.pk, quantity=2, out_trade_no="b1")
    orders.place_order(agent=world.a3, sku_id=world.sku.pk, quantity=1, out_trade_no="b2")
    log_in_page(page, live_server, lands="/console/d/", person=distributor)
    page.wait_for_selector("#sales-by-day [data-chart-ready='1']")
    page.wait_for_selector("#sales-by-product [data-chart-ready='1']")
    _look(page, "dashboard")

    page.goto(f"{live_server.url}/console/d/orders/")
    assert mine.order.order_no in page.locator("main").inner_text()
    _look(page, "orders")
    page.click(f"text={mine.order.order_no}")
    page.wait_for_url(f"{live_server.url}/console/d/orders/{mine.order.order_no}/")
    assert page.locator(".card-code").count() == 2  # its own two cards
    _look(page, "order")

    page.goto(f"{live_server.url}/console/d/money/")
    assert mine.order.order_no in page.locator("main").inner_text()
    _look(page, "money")
    page.goto(f"{live_server.url}/console/d/shop/")
    _look(page, "shop")
    page.goto(f"{live_server.url}/console/d/orders/buy/")
    _look(page, "buy")
