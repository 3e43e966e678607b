"""django-axes on every log-in: after 5 failures for one account (from any address) or
from one address (for any accounts), log-ins are refused for 30 minutes with a Chinese
page (429), the console's and the admin's alike; a successful log-in forgets that
account's failures, and only that account's."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.utils import timezone

from tests.console.conftest import PASSWORD, fresh_ip, log_in, path_of

pytestmark = pytest.mark.django_db

CONSOLE = "/console/login/"
ADMIN = "/admin/login/"


def _attempt(client, url: str, username: str, password: str, ip: str):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _fail(client, url: str, username: str, ip: str, times: int) -> list[int]:
    return [_attempt(client, url, username, "wrong-password", ip).status_code for _ in range(times)]


@pytest.mark.parametrize(("url", "refused"), [(CONSOLE, 400), (ADMIN, 200)])
def test_five_wrong_passwords_lock_the_account_out_with_a_chinese_page(
    client, operator, url, refused
):
    ip = fresh_ip()
    assert _fail(client, url, operator.username, ip, 4) == [refused] * 4
    fifth = _attempt(client, url, operator.username, "wrong-password", ip)
    assert fifth.status_code == 429
    text = fifth.content.decode()
    assert "登录已暂停" in text and "30 分钟" in text
    assert fifth["Retry-After"] == "1800"
    # Now even the right password is refused, and nobody is signed in.
    right = _attempt(client, url, operator.username, PASSWORD, ip)
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_admins_lockout_page_leads_back_to_the_admin(client, operator):
    ip = fresh_ip()
    _fail(client, ADMIN, operator.username, ip, 4)
    page = _attempt(client, ADMIN, operator.username, "x", ip).content.decode()
    assert 'href="/admin/login/"' in page


def test_the_account_is_locked_from_every_address(client, distributor):
    for _ in range(5):
        _attempt(client, CONSOLE, distributor.username, "wrong", fresh_ip())
    assert log_in(client, distributor, ip=fresh_ip()).status_code == 429


def test_the_address_is_locked_for_every_account(client, distributor, operator):
    ip = fresh_ip()
    for n in range(5):
        _attempt(client, CONSOLE, f"guess-{n}", "wrong", ip)
    assert log_in(client, distributor, ip=ip).status_code == 429
    assert _attempt(client, ADMIN, operator.username, PASSWORD, ip).status_code == 429
    # Another address is not affected.
    assert log_in(client, distributor, ip=fresh_ip()).status_code == 302


def test_a_successful_log_in_forgets_the_accounts_failures(client, distributor):
    ip = fresh_ip()
    _fail(client, CONSOLE, distributor.username, ip, 4)
    assert log_in(client, distributor, ip=ip).status_code == 302
    client.post("/console/logout/")
    assert not AccessAttempt.objects.filter(username=distributor.username).exists()
    assert _fail(client, CONSOLE, distributor.username, ip, 4) == [400] * 4
    assert log_in(client, distributor, ip=ip).status_code == 302


def test_signing_in_to_ones_own_account_does_not_reset_guesses_at_another(
    client, distributor, operator
):
    """Axes' own reset would delete every failure from the address: an attacker with an
    account could then guess another's password without end."""
    ip = fresh_ip()
    _fail(client, CONSOLE, operator.username, ip, 4)
    assert log_in(client, distributor, ip=ip).status_code == 302
    client.post("/console/logout/")
    assert _attempt(client, CONSOLE, operator.username, "wrong", ip).status_code == 429


def test_the_lockout_ends_after_30_minutes(client, distributor):
    ip = fresh_ip()
    _fail(client, CONSOLE, distributor.username, ip, 5)
    assert log_in(client, distributor, ip=ip).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=31))
    response = log_in(client, distributor, ip=ip)
    assert response.status_code == 302 and path_of(response) == "/console/"


def test_the_test_clients_login_is_not_a_web_log_in(client, distributor):
    """login() without a request (tests, a shell) neither counts nor fails."""
    assert client.login(username=distributor.username, password=PASSWORD)
    assert not client.login(username=distributor.username, password="wrong")
    assert not AccessAttempt.objects.exists()
