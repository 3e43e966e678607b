"""Operators' optional TOTP: set up from the console (QR code, confirmed by a first
code before it counts), then asked for after the password at the console's log-in and
beside it at the admin's; a wrong code counts as a failed log-in; turned off with a
code."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.console.conftest import PASSWORD, code, fresh_ip, log_in, next_window, path_of

pytestmark = pytest.mark.django_db


def test_an_operator_sets_up_totp_with_the_qr_code_and_a_first_code(client, operator):
    log_in(client, operator)
    page = client.get("/console/o/otp/")
    assert page.status_code == 200
    text = page.content.decode()
    assert '<svg role="img"' in text and "两步验证二维码" in text
    device = TOTPDevice.objects.get(user=operator.user)
    assert not device.confirmed
    # The same key on every visit until it is confirmed (a scanned code keeps working).
    client.get("/console/o/otp/")
    assert TOTPDevice.objects.filter(user=operator.user).count() == 1
    wrong = client.post("/console/o/otp/", {"action": "confirm", "code": "000000"})
    assert wrong.status_code == 400 and "验证码不正确" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    next_window(device)
    done = client.post("/console/o/otp/", {"action": "confirm", "code": code(device)})
    assert done.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    # This session counts as verified: the console stays open.
    assert client.get("/console/o/").status_code == 200
    assert "已启用" in client.get("/console/o/otp/").content.decode()


def test_a_new_key_can_be_asked_for_before_confirming(client, operator):
    log_in(client, operator)
    client.get("/console/o/otp/")
    first = TOTPDevice.objects.get(user=operator.user).key
    client.post("/console/o/otp/", {"action": "renew"})
    assert TOTPDevice.objects.get(user=operator.user).key != first


def test_the_console_asks_for_the_code_after_the_password(client, otp_operator):
    operator, device = otp_operator
    response = log_in(client, operator, next_url="/console/o/")
    assert response.status_code == 302 and path_of(response) == "/console/login/code/"
    assert "_auth_user_id" not in client.session  # nobody signed in yet
    assert client.get("/console/o/").status_code == 302
    page = client.get("/console/login/code/")
    assert page.status_code == 200 and operator.username in page.content.decode()
    wrong = client.post("/console/login/code/", {"code": "123456"})
    assert wrong.status_code == 400 and "_auth_user_id" not in client.session
    next_window(device)
    right = client.post("/console/login/code/", {"code": code(device)})
    assert right.status_code == 302 and right["Location"] == "/console/o/"
    assert client.get("/console/o/").status_code == 200


def test_the_code_step_needs_a_right_password_first(client, otp_operator):
    assert path_of(client.get("/console/login/code/")) == "/console/login/"
    _, device = otp_operator
    response = client.post("/console/login/code/", {"code": code(device)})
    assert path_of(response) == "/console/login/"
    assert "_auth_user_id" not in client.session


def test_wrong_codes_count_as_failed_log_ins(client, otp_operator, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # axes' lockout alone, not the device's wait
    operator, device = otp_operator
    ip = fresh_ip()
    log_in(client, operator, ip=ip)
    statuses = [
        client.post("/console/login/code/", {"code": "000000"}, REMOTE_ADDR=ip).status_code
        for _ in range(5)
    ]
    assert statuses == [400, 400, 400, 400, 429]
    next_window(device)
    # Locked out: even the right password and code are refused now.
    assert log_in(client, operator, ip=fresh_ip()).status_code == 429


def test_a_session_without_the_code_is_asked_for_it(client, operator):
    """The device was set up elsewhere after this session signed in."""
    log_in(client, operator)
    device = TOTPDevice.objects.create(user=operator.user, name="console", confirmed=True)
    response = client.get("/console/o/")
    assert response.status_code == 302 and path_of(response) == "/console/login/code/"
    next_window(device)
    client.post("/console/login/code/?next=/console/o/", {"code": code(device)})
    assert client.get("/console/o/").status_code == 200


def test_the_admin_asks_for_the_code_too(client, otp_operator):
    operator, device = otp_operator
    data = {"username": operator.username, "password": PASSWORD, "next": "/admin/"}
    without = client.post("/admin/login/", data, REMOTE_ADDR=fresh_ip())
    assert without.status_code == 200 and "两步验证码" in without.content.decode()
    assert "_auth_user_id" not in client.session
    wrong = client.post("/admin/login/", {**data, "otp_token": "000000"}, REMOTE_ADDR=fresh_ip())
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    next_window(device)
    data["otp_token"] = code(device)
    right = client.post("/admin/login/", data, REMOTE_ADDR=fresh_ip())
    assert right.status_code == 302 and right["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_admin_refuses_a_session_without_the_code(client, otp_operator):
    operator, _ = otp_operator
    client.login(username=operator.username, password=PASSWORD)  # the password only
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_an_operator_without_a_device_uses_the_admin_as_before(client, operator):
    data = {"username": operator.username, "password": PASSWORD, "next": "/admin/"}
    response = client.post("/admin/login/", data, REMOTE_ADDR=fresh_ip())
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_totp_is_turned_off_with_a_current_code(client, otp_operator):
    operator, device = otp_operator
    log_in(client, operator)
    next_window(device)
    client.post("/console/login/code/", {"code": code(device)})
    refused = client.post("/console/o/otp/", {"action": "remove", "code": "000000"})
    assert refused.status_code == 400 and TOTPDevice.objects.filter(pk=device.pk).exists()
    next_window(device)
    done = client.post("/console/o/otp/", {"action": "remove", "code": code(device)})
    assert done.status_code == 302
    assert not TOTPDevice.objects.filter(user=operator.user).exists()
    client.post("/console/logout/")
    assert path_of(log_in(client, operator)) == "/console/"  # the password alone again
