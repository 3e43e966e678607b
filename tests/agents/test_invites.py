"""Invite links: joining under an agent is free, bounded by max_uses, expiry, revocation
and the depth limit; a refused sign-up creates nothing and spends no use."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from kameng.agents import invites
from kameng.agents.errors import (
    AgentInactive,
    DepthLimitExceeded,
    InviteInvalid,
    InviteNotFound,
    UsernameTaken,
    WeakPassword,
)
from kameng.agents.models import Agent, InviteLink
from kameng.agents.services import set_active, top_up
from kameng.errors import InvalidInput
from kameng.ledger.models import Account, Journal
from kameng.orders import services as orders
from tests import factories
from tests.concurrency import race
from tests.orders.helpers import assert_books_sound

pytestmark = pytest.mark.django_db

PASSWORD = "a-Long-pass-phrase-42"


def _balances() -> dict[str, Decimal]:
    return dict(Account.objects.values_list("code", "balance"))


def _join(invite: InviteLink, username: str, password: str = PASSWORD) -> Agent:
    return invites.accept_invite(invite.token, username=username, password=password)


def test_joining_through_an_invite_is_free_and_lands_directly_under_the_inviter(world):
    invite = invites.create_invite(world.a1, label="微信群")
    books, journals = _balances(), Journal.objects.count()

    joined = invites.accept_invite(
        invite.token, username="newbie", password=PASSWORD, email="newbie@example.com"
    )

    assert (joined.parent_id, joined.depth) == (world.a1.pk, 2)
    assert joined.path == f"{world.a1.pk}/{joined.pk}"
    assert joined.user.email == "newbie@example.com"
    assert authenticate(username="newbie", password=PASSWORD) == joined.user
    # No fee, no bonus: not a cent moved, for anyone; the new wallet is empty.
    assert Journal.objects.count() == journals
    assert {code: amount for code, amount in _balances().items() if code in books} == books
    assert factories.wallet(joined) == Decimal("0.00")
    invite.refresh_from_db()
    assert invite.used_count == 1
    assert invites.invite_state(invite) == invites.ACTIVE
    assert_books_sound()


def test_the_inviter_earns_only_the_spread_on_what_its_invitee_buys(world):
    joined = _join(invites.create_invite(world.a2), "buyer")
    top_up(joined, Decimal("500.00"))
    order = orders.place_order(
        agent=joined, sku_id=world.sku.pk, quantity=2, out_trade_no="first"
    ).order
    orders.confirm_receipt(order)
    # face 100: a1 pays 95, a2 97, the invitee (level 3) 98.50 → a2 earns 1.50 × 2.
    assert factories.wallet(world.a2) == Decimal("5003.00")
    assert factories.wallet(world.a1) == Decimal("10004.00")
    assert factories.wallet(joined) == Decimal("303.00")
    assert_books_sound()


def test_max_uses_is_a_hard_limit(world):
    invite = invites.create_invite(world.a1, max_uses=2)
    _join(invite, "one")
    _join(invite, "two")
    with pytest.raises(InviteInvalid) as caught:
        _join(invite, "three")
    assert caught.value.details["reason"] == "used_up"
    assert not get_user_model().objects.filter(username="three").exists()
    invite.refresh_from_db()
    assert invite.used_count == 2
    assert invites.invite_state(invite) == invites.USED_UP


def test_expired_revoked_unknown_and_malformed_links_are_refused(world):
    expired = invites.create_invite(world.a1, expires_at=timezone.now() + timedelta(hours=1))
    InviteLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(1))
    revoked = invites.create_invite(world.a1)
    invites.revoke_invite(world.a1, revoked.token)
    cases = {
        expired.token: "expired",
        revoked.token: "revoked",
        "A" * 32: "unknown",
        "../../etc": "unknown",
        "": "unknown",
    }
    for token, reason in cases.items():
        with pytest.raises(InviteInvalid) as caught:
            invites.accept_invite(token, username="x", password=PASSWORD)
        assert caught.value.details["reason"] == reason, token
        assert caught.value.code == "invite_invalid" and caught.value.status == 404
    assert Agent.objects.count() == 3


def test_a_disabled_inviter_takes_nobody(world):
    invite = invites.create_invite(world.a1)
    set_active(world.a1, False)
    with pytest.raises(InviteInvalid) as caught:
        invites.invite_for(invite.token)
    assert caught.value.details["reason"] == "inviter_inactive"
    with pytest.raises(AgentInactive):
        invites.create_invite(world.a1)


def test_the_depth_limit_holds(world):
    with pytest.raises(DepthLimitExceeded):
        invites.create_invite(world.a3)  # level 3 of 3: nobody could join under it
    invite = invites.create_invite(world.a2)
    with override_settings(KAMENG_MAX_AGENT_DEPTH=2), pytest.raises(DepthLimitExceeded):
        _join(invite, "too-deep")
    assert not get_user_model().objects.filter(username="too-deep").exists()
    invite.refresh_from_db()
    assert invite.used_count == 0  # the refused sign-up gave its use back


def test_a_refused_sign_up_creates_nothing_and_spends_no_use(world):
    invite = invites.create_invite(world.a1, max_uses=1)
    users = get_user_model().objects.count()
    with pytest.raises(UsernameTaken):
        _join(invite, "agent2")
    with pytest.raises(WeakPassword):
        _join(invite, "fresh", password="123")
    with pytest.raises(WeakPassword):
        _join(invite, "fresh", password="")
    for bad in ("has space", "", "x" * 151, "semi;colon"):
        with pytest.raises(InvalidInput):
            _join(invite, bad)
    with pytest.raises(InvalidInput):
        invites.accept_invite(invite.token, username="fresh", password=PASSWORD, email="nope")
    assert get_user_model().objects.count() == users
    invite.refresh_from_db()
    assert invite.used_count == 0
    _join(invite, "fresh")  # the one use is still there


def test_only_the_owner_revokes_and_revoking_twice_is_harmless(world):
    invite = invites.create_invite(world.a1)
    with pytest.raises(InviteNotFound):
        invites.revoke_invite(world.a2, invite.token)
    assert invites.invite_state(InviteLink.objects.get(pk=invite.pk)) == invites.ACTIVE
    first = invites.revoke_invite(world.a1, invite.token).revoked_at
    assert first is not None
    assert invites.revoke_invite(world.a1, invite.token).revoked_at == first


def test_invite_settings_are_checked(world):
    for bad in (0, -1, 10_001, True, "3"):
        with pytest.raises(InvalidInput):
            invites.create_invite(world.a1, max_uses=bad)
    with pytest.raises(InvalidInput):
        invites.create_invite(world.a1, expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(InvalidInput):
        invites.create_invite(world.a1, label="x" * 65)
    assert not InviteLink.objects.exists()


def test_tokens_are_random_url_safe_and_listed_newest_first(world):
    made = [invites.create_invite(world.a1, label=f"n{i}") for i in range(3)]
    tokens = {invite.token for invite in made}
    assert len(tokens) == 3
    assert all(len(t) >= 32 and t.replace("-", "").replace("_", "").isalnum() for t in tokens)
    assert invites.agent_invites(world.a1) == made[::-1]
    assert invites.agent_invites(world.a2) == []


def test_invites_from_the_command_line(world, capsys):
    call_command("invite", "create", "--agent", "agent1", "--max-uses", "2", "--json")
    created = json.loads(capsys.readouterr().out)
    assert (created["agent"], created["max_uses"], created["state"]) == ("agent1", 2, "active")
    call_command("invite", "list", "--agent", "agent1", "--json")
    assert [row["token"] for row in json.loads(capsys.readouterr().out)] == [created["token"]]
    call_command("invite", "revoke", created["token"], "--agent", "agent1", "--json")
    assert json.loads(capsys.readouterr().out)["state"] == "revoked"
    with pytest.raises(CommandError, match="depth_limit_exceeded"):
        call_command("invite", "create", "--agent", "agent3")
    with pytest.raises(CommandError, match="invite_not_found"):
        call_command("invite", "revoke", created["token"], "--agent", "agent2")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_sign_ups_racing_for_three_uses_make_three_agents(transactional_db):
    inviter = factories.agent("inviter")
    invite = invites.create_invite(inviter, max_uses=3)
    results = race(10, lambda i: _join(invite, f"racer{i}"))
    joined = [r for r in results if isinstance(r, Agent)]
    refused = [r for r in results if not isinstance(r, Agent)]
    assert len(joined) == 3, results
    assert all(isinstance(r, InviteInvalid) for r in refused), refused
    assert Agent.objects.filter(parent=inviter).count() == 3
    assert InviteLink.objects.get(pk=invite.pk).used_count == 3
    assert_books_sound()
