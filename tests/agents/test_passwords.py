"""An agent's console password passes Django's validators (settings
AUTH_PASSWORD_VALIDATORS), as the admin's password forms require."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from kameng.agents import services as agents
from kameng.agents.errors import WeakPassword
from kameng.agents.models import Agent
from kameng.demo.seed import AGENT_PASSWORD
from kameng.ledger.models import Account

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("", "it is empty"),
        ("abc", "This password is too short. It must contain at least 8 characters."),
        ("password123", "This password is too common."),
        ("58309174265", "This password is entirely numeric."),
        ("agent4agent4x", "The password is too similar to the username."),
    ],
)
def test_a_weak_password_is_refused_in_english_and_nothing_is_created(password, reason):
    with pytest.raises(WeakPassword, match=reason) as refused:
        agents.create_agent("agent4agent4", password=password)
    assert refused.value.code == "weak_password"
    assert not get_user_model().objects.filter(username="agent4agent4").exists()
    assert not Account.objects.filter(code="agent:agent4agent4").exists()


def test_the_command_line_refuses_a_three_character_password_in_one_line():
    with pytest.raises(CommandError, match=r"^weak_password: password refused: This password is"):
        call_command("create_agent", "agent4", "--password", "abc")
    with pytest.raises(CommandError, match=r"^weak_password: password refused: it is empty"):
        call_command("create_agent", "agent4", "--password", "")
    assert not Agent.objects.exists()


def test_a_good_password_logs_in_and_no_password_means_no_login_yet():
    made = agents.create_agent("agent4", password=AGENT_PASSWORD)  # the demo's passes
    assert made.user.check_password(AGENT_PASSWORD)
    assert not agents.create_agent("agent5").user.has_usable_password()
