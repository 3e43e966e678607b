"""The one log-in page: each role lands in its console, a person with several roles
chooses, a person with none is told so; log-out, password change and reset by email."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from kameng.agents import services as agents
from tests.console.conftest import PASSWORD, fresh_ip, log_in, path_of
from tests.web.conftest import reload_translations

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "console"),
    [
        ("distributor", "/console/d/"),
        ("supplier_person", "/console/s/"),
        ("applicant", "/console/s/"),
        ("operator", "/console/o/"),
    ],
)
def test_each_role_logs_in_and_lands_in_its_console(client, request, who, console):
    person = request.getfixturevalue(who)
    response = log_in(client, person)
    assert response.status_code == 302 and path_of(response) == "/console/"
    home = client.get("/console/")
    assert home.status_code == 302 and path_of(home) == console
    page = client.get(console)
    assert page.status_code == 200
    text = page.content.decode()
    assert person.username in text
    assert 'action="/console/logout/"' in text
    assert page["Cache-Control"].startswith("max-age=0") and "no-store" in page["Cache-Control"]


def test_the_login_page_renders_in_chinese_and_english(client, english):
    page = client.get("/console/login/").content.decode()
    assert "登录管理后台" in page and 'lang="zh-hans"' in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    reload_translations()
    page = client.get("/console/login/").content.decode()
    assert 'lang="en"' in page and "登录管理后台" not in page
    assert "Sign in" in page


def test_a_wrong_password_is_a_form_message(client, distributor):
    response = client.post(
        "/console/login/",
        {"username": distributor.username, "password": "wrong"},
        REMOTE_ADDR=fresh_ip(),
    )
    assert response.status_code == 400
    assert "用户名或密码不正确" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_next_takes_the_person_back_but_never_to_another_site(client, distributor):
    response = log_in(client, distributor, next_url="/console/d/?page=2")
    assert response["Location"] == "/console/d/?page=2"
    client.logout()
    response = log_in(client, distributor, next_url="https://evil.example.com/")
    assert response["Location"] == "/console/"


def test_a_person_without_a_role_is_told_so(client, nobody):
    log_in(client, nobody)
    page = client.get("/console/")
    assert page.status_code == 200
    assert "没有可用的后台" in page.content.decode()
    for console in ("/console/d/", "/console/s/", "/console/o/"):
        assert client.get(console).status_code == 404


def test_a_disabled_agent_has_no_console(client, distributor, world):
    agents.set_active(world.a2, False)
    log_in(client, distributor)
    assert "没有可用的后台" in client.get("/console/").content.decode()
    assert client.get("/console/d/").status_code == 404


def test_a_person_with_several_roles_chooses(client, distributor):
    distributor.user.is_staff = True
    distributor.user.save()
    log_in(client, distributor)
    page = client.get("/console/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'href="/console/d/"' in text and 'href="/console/o/"' in text
    # Each console offers the other one in its menu.
    assert 'href="/console/o/"' in client.get("/console/d/").content.decode()


def test_logout_is_a_post(client, distributor):
    log_in(client, distributor)
    assert client.get("/console/logout/").status_code == 405
    response = client.post("/console/logout/")
    assert response.status_code == 302 and path_of(response) == "/console/login/"
    assert client.get("/console/d/").status_code == 302


def test_the_login_form_needs_its_csrf_token(distributor):
    browser = Client(enforce_csrf_checks=True)
    data = {"username": distributor.username, "password": PASSWORD}
    assert browser.post("/console/login/", data, REMOTE_ADDR=fresh_ip()).status_code == 403
    browser.get("/console/login/")
    data["csrfmiddlewaretoken"] = browser.cookies["csrftoken"].value
    assert browser.post("/console/login/", data, REMOTE_ADDR=fresh_ip()).status_code == 302


def test_a_signed_in_person_is_sent_on_from_the_login_page(client, distributor):
    log_in(client, distributor)
    response = client.get("/console/login/?next=/console/d/")
    assert response.status_code == 302 and response["Location"] == "/console/d/"


def test_the_password_is_changed_and_the_session_kept(client, distributor):
    log_in(client, distributor)
    page = client.get("/console/password/")
    assert page.status_code == 200 and 'name="old_password"' in page.content.decode()
    refused = client.post(
        "/console/password/",
        {"old_password": "wrong", "new_password1": "x", "new_password2": "x"},
    )
    assert refused.status_code == 400
    new = "Brand-new-pw-77"
    response = client.post(
        "/console/password/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert client.get("/console/d/").status_code == 200  # still signed in
    distributor.user.refresh_from_db()
    assert distributor.user.check_password(new)


def test_a_password_reset_email_in_chinese_and_its_link_work(client, distributor, settings):
    settings.KAMENG_PUBLIC_URL = "https://kameng.example.com"
    address = distributor.user.email
    assert client.get("/console/password/reset/").status_code == 200
    response = client.post("/console/password/reset/", {"email": address}, REMOTE_ADDR=fresh_ip())
    assert response.status_code == 302 and path_of(response) == "/console/password/reset/sent/"
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [address]
    assert "重置" in email.subject and distributor.username in email.body
    link = re.search(r"https://kameng\.example\.com(/console/password/reset/\S+/)", email.body)
    assert link, email.body
    # The link opens a form (Django moves the token into the session and redirects).
    opened = client.get(link.group(1), follow=True)
    assert opened.status_code == 200 and 'name="new_password1"' in opened.content.decode()
    new = "Reset-pw-2026-x"
    done = client.post(opened.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302 and path_of(done) == "/console/password/reset/done/"
    distributor.user.refresh_from_db()
    assert distributor.user.check_password(new)
    # Used once: the link does not open the form again.
    again = client.get(link.group(1), follow=True).content.decode()
    assert "链接已失效" in again


def test_a_reset_for_an_unknown_address_reads_the_same_and_sends_nothing(client, db):
    response = client.post(
        "/console/password/reset/", {"email": "nobody-here@example.com"}, REMOTE_ADDR=fresh_ip()
    )
    assert response.status_code == 302 and path_of(response) == "/console/password/reset/sent/"
    assert mail.outbox == []


def test_reset_emails_are_limited_per_address(client, distributor, settings):
    settings.KAMENG_CONSOLE_PASSWORD_RESETS = (2, 3600)
    address = distributor.user.email
    for _ in range(4):
        client.post("/console/password/reset/", {"email": address}, REMOTE_ADDR=fresh_ip())
    assert len(mail.outbox) == 2
