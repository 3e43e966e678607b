"""Chinese first; English one POST away (Django's set_language), remembered in a cookie."""

import re

from django.conf import settings

# Han characters left on an English page: the brand and the switch back to Chinese.
ALLOWED_CHINESE = ("卡盟", "中文")


def _visible_text(html: str) -> str:
    body = html.split("<body", 1)[1]
    body = re.sub(r"<(script|style)\b.*?</\1>", "", body, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body)


def test_pages_are_chinese_first(client, style_page, english):
    page = client.get(style_page).content.decode()
    assert '<html lang="zh-hans">' in page
    assert "组件样式" in page
    assert re.search(r'<button [^>]*value="en" lang="en">English</button>', page)


def test_the_switch_sets_the_cookie_and_the_next_page_is_english(client, style_page, english):
    response = client.post("/i18n/setlang/", {"language": "en", "next": style_page})
    assert response.status_code == 302
    assert response["Location"] == style_page
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert cookie["max-age"] == settings.LANGUAGE_COOKIE_AGE

    page = client.get(style_page).content.decode()
    assert '<html lang="en">' in page
    assert "Components" in page and "Awaiting payment" in page and "Place order" in page
    assert re.search(r'<button [^>]*value="zh-hans" lang="zh-hans">中文</button>', page)
    text = _visible_text(page)
    for allowed in ALLOWED_CHINESE:
        text = text.replace(allowed, "")
    assert re.findall(r"[\u3400-\u9fff]+", text) == []

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": style_page})
    assert '<html lang="zh-hans">' in client.get(style_page).content.decode()


def test_the_switch_sends_nobody_elsewhere(client, english):
    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": "https://evil.example.com/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_style_page_exists_only_with_debug(client, settings):
    settings.DEBUG = False
    assert client.get("/_style/").status_code == 404
    settings.DEBUG = True
    assert client.get("/_style/").status_code == 200


def test_every_page_carries_the_csrf_token_for_htmx(client, style_page):
    page = client.get(style_page).content.decode()
    token = re.search(r"""hx-headers='\{"X-CSRFToken": "([^"]+)"\}'""", page)
    assert token and len(token.group(1)) >= 32
    assert client.cookies[settings.CSRF_COOKIE_NAME].value


def test_the_checkout_sample_form_shows_its_errors(client, style_page, english):
    page = client.post(style_page, {"quantity": "0"}).content.decode()
    assert 'class="alert alert--error" role="alert"' in page
    assert "请检查下面标出的内容。" in page
    assert 'aria-invalid="true"' in page


def test_pages_are_chinese_whatever_the_browser_asks_until_english_is_chosen(client, db):
    english_browser = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}
    response = client.get("/", **english_browser)
    assert response["Content-Language"] == "zh-hans"
    client.cookies["django_language"] = "en"
    assert client.get("/", **english_browser)["Content-Language"] == "en"
    client.cookies["django_language"] = "xx"  # not one of ours
    assert client.get("/")["Content-Language"] == "zh-hans"
