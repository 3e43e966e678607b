"""People of each console role, with passwords, and helpers to log them in the way a
browser does (the log-in page, so django-axes and the TOTP step run)."""

import itertools
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from kameng.agents import services as agents
from kameng.suppliers.accounts import register_supplier_user

PASSWORD = "Console-pw-2026!"
_serial = itertools.count(1)


def fresh_ip() -> str:
    """An address no other test used (axes counts per address)."""
    n = next(_serial) + int(time.time() * 1000) % 50000
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


@dataclass
class Person:
    username: str
    password: str
    user: object


def _person(user) -> Person:
    return Person(user.get_username(), PASSWORD, user)


@pytest.fixture
def distributor(world) -> Person:
    """agent2 (under agent1, above agent3) with a password and an email."""
    user = world.a2.user
    user.set_password(PASSWORD)
    user.email = f"agent2-{next(_serial)}@example.com"
    user.save()
    return _person(user)


@pytest.fixture
def other_distributor(world) -> Person:
    """agent3, below the distributor."""
    user = world.a3.user
    user.set_password(PASSWORD)
    user.save()
    return _person(user)


@pytest.fixture
def supplier_person(world) -> Person:
    """A person of the world's (approved) supplier."""
    account = register_supplier_user(
        f"supplier-{next(_serial)}", PASSWORD, "sp@example.com", supplier=world.supplier
    )
    return _person(account.user)


@pytest.fixture
def applicant(db) -> Person:
    """A supplier person whose application is not approved yet (no supplier)."""
    account = register_supplier_user(f"applicant-{next(_serial)}", PASSWORD, "ap@example.com")
    return _person(account.user)


@pytest.fixture
def operator(db) -> Person:
    user = get_user_model().objects.create_user(
        f"operator-{next(_serial)}", "op@example.com", PASSWORD, is_staff=True, is_superuser=True
    )
    return _person(user)


@pytest.fixture
def nobody(db) -> Person:
    user = get_user_model().objects.create_user(f"nobody-{next(_serial)}", "", PASSWORD)
    return _person(user)


@pytest.fixture
def stranger_agent(world) -> Person:
    """A top-level agent beside agent1 (another tree), with a password."""
    agent = agents.create_agent(f"stranger-{next(_serial)}", password=PASSWORD)
    return _person(agent.user)


def log_in(client, person: Person, *, ip: str | None = None, next_url: str = ""):
    """The console's log-in form, as a browser posts it."""
    data = {"username": person.username, "password": person.password}
    if next_url:
        data["next"] = next_url
    return client.post("/console/login/", data, REMOTE_ADDR=ip or fresh_ip())


def log_in_page(page, live_server, *, person: Person, lands: str = "") -> None:
    """The log-in page in a real browser; waits until it lands on `lands` when given."""
    page.goto(f"{live_server.url}/console/login/")
    page.fill("#id_username", person.username)
    page.fill("#id_password", person.password)
    page.click("button[type=submit]")
    if lands:
        page.wait_for_url(f"{live_server.url}{lands}")


def path_of(response) -> str:
    return urlsplit(response["Location"]).path


def code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The device's current code (as the phone shows it), `steps_ahead` 30 s steps on."""
    device.refresh_from_db()
    drift = device.drift + steps_ahead
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, drift):0{device.digits}d}"


def next_window(device: TOTPDevice) -> None:
    """As if the next 30 s had begun and earlier wrong codes were long ago: the code
    just used can be given again (each code counts once), nothing throttled."""
    TOTPDevice.objects.filter(pk=device.pk).update(
        last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
    )


@pytest.fixture
def otp_operator(operator) -> tuple[Person, TOTPDevice]:
    """An operator who set up TOTP."""
    device = TOTPDevice.objects.create(user=operator.user, name="console", confirmed=True)
    return operator, device


# The English catalogue, compiled (tests/web's fixture).
from tests.web.conftest import english  # noqa: E402, F401
