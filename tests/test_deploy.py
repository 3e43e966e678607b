"""Deployment configuration: a multi-host setup that would silently break refuses to
start, `kameng check --deploy` explains the rest, and an https deployment behind a
TLS-terminating proxy gets secure defaults and a working admin login."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.test import Client, override_settings

from kameng import config

PG = "postgres://postgres@127.0.0.1:5432/postgres"
KEYS = {
    "KAMENG_SECRET_KEY": secrets.token_urlsafe(50),
    "KAMENG_CARD_KEYS": Fernet.generate_key().decode(),
    "KAMENG_CARD_DIGEST_KEY": "d" * 40,
}
KAMENG = [sys.executable, "-m", "kameng.cli"]


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`kameng ARGS` in a clean environment of its own (a fresh data folder)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("KAMENG_", "DATABASE_URL"))}
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        clean.pop(name, None)
    clean.update(KAMENG_DATA_DIR=str(tmp_path / "data"), **env)
    return subprocess.run(
        [*KAMENG, *args], env=clean, capture_output=True, text=True, timeout=60, check=False
    )


def test_postgres_without_shared_keys_and_redis_refuses_to_start(tmp_path):
    result = run(tmp_path, "check", DATABASE_URL=PG)
    assert result.returncode == 2
    assert result.stderr.startswith("kameng: configuration error: ")
    assert "Traceback" not in result.stderr
    for name in ("KAMENG_SECRET_KEY", "KAMENG_CARD_KEYS", "KAMENG_CARD_DIGEST_KEY", "REDIS_URL"):
        assert name in result.stderr
    assert "KAMENG_SINGLE_HOST=1" in result.stderr
    # It refused before making keys of its own that a second host could not read.
    assert not (tmp_path / "data" / "secrets.json").exists()

    result = run(tmp_path, "check", DATABASE_URL=PG, **KEYS)
    assert result.returncode != 0
    assert "Not set: REDIS_URL." in result.stderr


def test_the_single_host_switch_starts_and_check_deploy_says_what_it_means(tmp_path):
    result = run(tmp_path, "check", "--deploy", DATABASE_URL=PG, KAMENG_SINGLE_HOST="1")
    assert result.returncode == 0, result.stderr
    report = result.stdout + result.stderr
    for check in ("kameng.W001", "kameng.W002", "kameng.W003", "kameng.W004"):
        assert check in report
    assert "secrets.json" in report and "one web process" in report


def test_a_full_production_configuration_passes_check_deploy_cleanly(tmp_path):
    result = run(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DATABASE_URL=PG,
        REDIS_URL="redis://127.0.0.1:6379/11",
        KAMENG_PUBLIC_URL="https://kameng.example.com",
        **KEYS,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_plain_http_deployment_is_warned_about(tmp_path):
    result = run(tmp_path, "check", "--deploy", DATABASE_URL=PG, REDIS_URL="redis://x", **KEYS)
    report = result.stdout + result.stderr
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in report
    assert "kameng.W004" in report


HTTPS = config.http_security({}, "https://kameng.example.com")
PROXY = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_HOST": "kameng.example.com"}


def _login(client: Client, **headers: str):
    client.get("/admin/login/", **headers)
    token = client.cookies["csrftoken"].value
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "op", "password": "pw-long-enough", "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="https://kameng.example.com",
        **headers,
    )


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_superuser("op", "op@example.com", "pw-long-enough")


@pytest.mark.django_db
@override_settings(ALLOWED_HOSTS=["kameng.example.com"], **HTTPS)
def test_behind_a_tls_proxy_the_operator_can_log_in(operator):
    response = _login(Client(enforce_csrf_checks=True), **PROXY)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert response.cookies["sessionid"]["secure"]
    assert "max-age=31536000" in Client().get("/admin/login/", **PROXY)["Strict-Transport-Security"]
    # Plain http straight to the app is sent to https.
    plain = Client().get("/admin/login/", HTTP_HOST="kameng.example.com")
    assert plain.status_code == 301 and plain["Location"].startswith("https://kameng.example.com/")


@pytest.mark.django_db
@override_settings(ALLOWED_HOSTS=["kameng.example.com"])
def test_without_the_proxy_settings_that_login_was_refused(operator):
    """What the issue found: the CSRF origin check fails behind the proxy."""
    assert (
        _login(Client(enforce_csrf_checks=True), HTTP_HOST="kameng.example.com").status_code == 403
    )


def test_each_https_default_can_be_set_on_its_own():
    derived = config.http_security(
        {"KAMENG_HSTS_SECONDS": "600", "KAMENG_SSL_REDIRECT": "0", "KAMENG_PROXY_SSL_HEADER": ""},
        "https://kameng.example.com",
    )
    assert derived["SECURE_HSTS_SECONDS"] == 600
    assert derived["SECURE_SSL_REDIRECT"] is False
    assert derived["SECURE_PROXY_SSL_HEADER"] is None
    assert derived["SESSION_COOKIE_SECURE"] is True
    plain = config.http_security({}, "http://127.0.0.1:8000")
    assert not plain["SECURE_SSL_REDIRECT"] and plain["SECURE_HSTS_SECONDS"] == 0
    assert config.allowed_hosts({}, "https://kameng.example.com")[-1] == "kameng.example.com"
