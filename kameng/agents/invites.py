"""Invite links: an agent shares a link; whoever opens it may create their own agent
account directly under the inviter.

Joining is free: no fee is charged and no money moves, for anyone. Recruiting earns
nothing either; an agent only ever earns the spread on goods actually sold below it
(agents.pricing). The depth limit holds as for any new agent (DepthLimitExceeded).

A link's uses are counted with one conditional UPDATE in the sign-up's transaction, so
`max_uses` holds however many people sign up at once, and a sign-up that fails (a taken
username, a weak password) gives its use back.
"""

import re
import secrets
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from kameng.agents.errors import (
    AgentInactive,
    DepthLimitExceeded,
    InviteInvalid,
    InviteNotFound,
)
from kameng.agents.models import Agent, InviteLink
from kameng.agents.services import _check_password, create_agent
from kameng.errors import InvalidInput
from kameng.text import require_printable

# What `invite_state` answers.
ACTIVE, REVOKED, EXPIRED, USED_UP = "active", "revoked", "expired", "used_up"
STATE_LABELS = {ACTIVE: "可用", REVOKED: "已作废", EXPIRED: "已过期", USED_UP: "已用完"}

_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,43}")


def create_invite(
    agent: Agent,
    *,
    label: str = "",
    expires_at: datetime | None = None,
    max_uses: int | None = None,
) -> InviteLink:
    """A new link under `agent`. Refused for a disabled agent and for one at the
    deepest level (nobody could join under it)."""
    if not agent.active:
        raise AgentInactive(f"{agent} is disabled and cannot invite sub-agents")
    limit = settings.KAMENG_MAX_AGENT_DEPTH
    if agent.depth >= limit:
        raise DepthLimitExceeded(
            f"agents may be at most {limit} levels deep; {agent} is at level {agent.depth} "
            "and cannot have sub-agents",
            max_depth=limit,
        )
    label = require_printable(label.strip(), "label", limit=64, optional=True)
    if max_uses is not None and (
        not isinstance(max_uses, int) or isinstance(max_uses, bool) or not 1 <= max_uses <= 10_000
    ):
        raise InvalidInput("max_uses must be a whole number from 1 to 10000 (or none: no limit)")
    if expires_at is not None:
        if timezone.is_naive(expires_at):
            raise InvalidInput("expires_at must carry its time zone")
        if expires_at <= timezone.now():
            raise InvalidInput("expires_at must be in the future")
    return InviteLink.objects.create(
        agent=agent,
        token=secrets.token_urlsafe(24),
        label=label,
        expires_at=expires_at,
        max_uses=max_uses,
    )


def revoke_invite(agent: Agent, token: str) -> InviteLink:
    """Stop the link at once (sign-ups already made stay). Revoking twice is harmless;
    another agent's link is InviteNotFound."""
    invite = InviteLink.objects.filter(agent=agent, token=str(token)).first()
    if invite is None:
        raise InviteNotFound(f"{agent} has no invite {str(token)[:8]!r}…")
    if invite.revoked_at is None:
        now = timezone.now()
        InviteLink.objects.filter(pk=invite.pk, revoked_at__isnull=True).update(revoked_at=now)
        invite.refresh_from_db(fields=["revoked_at"])
    return invite


def agent_invites(agent: Agent) -> list[InviteLink]:
    """The agent's links, newest first (every state)."""
    return list(InviteLink.objects.filter(agent=agent).order_by("-pk"))


def invite_state(invite: InviteLink, now: datetime | None = None) -> str:
    """ACTIVE, REVOKED, EXPIRED or USED_UP (see STATE_LABELS)."""
    now = now or timezone.now()
    if invite.revoked_at is not None:
        return REVOKED
    if invite.expires_at is not None and invite.expires_at <= now:
        return EXPIRED
    if invite.max_uses is not None and invite.used_count >= invite.max_uses:
        return USED_UP
    return ACTIVE


def invite_for(token: str) -> InviteLink:
    """The usable invite behind a link (its agent loaded), else InviteInvalid with the
    reason: unknown, revoked, expired, used_up, inviter_inactive. (An inviter at the
    deepest level, after the limit was lowered: accept_invite's DepthLimitExceeded.)"""
    token = str(token or "")
    invite = None
    if _TOKEN.fullmatch(token):
        invite = InviteLink.objects.select_related("agent__user").filter(token=token).first()
    if invite is None:
        raise InviteInvalid("no invite behind this link", reason="unknown")
    state = invite_state(invite)
    if state != ACTIVE:
        raise InviteInvalid(f"this invite is {state.replace('_', ' ')}", reason=state)
    if not invite.agent.active:
        raise InviteInvalid("the inviting agent is disabled", reason="inviter_inactive")
    return invite


def accept_invite(token: str, *, username: str, password: str, email: str = "") -> Agent:
    """Create an agent with a log-in directly under the invite's agent: free, nothing
    posted. InviteInvalid if the link cannot be used (any more), UsernameTaken,
    WeakPassword, InvalidInput for a bad username or email, DepthLimitExceeded,
    AgentInactive; on any refusal nothing is created and the link's use is not spent."""
    invite = invite_for(token)
    username = (username or "").strip()
    email = (email or "").strip()
    user_model = get_user_model()
    _check_username(user_model, username)
    _check_email(email)
    _check_password(password or "", user_model(username=username, email=email))
    # Hashed before the transaction: the link's row stays locked only briefly.
    hashed = make_password(password)
    with transaction.atomic():
        if not _count_use(invite.pk, timezone.now()):
            invite.refresh_from_db()
            state = invite_state(invite)
            raise InviteInvalid(f"this invite is {state.replace('_', ' ')}", reason=state)
        agent = create_agent(username, parent=invite.agent, email=email)
        user_model.objects.filter(pk=agent.user_id).update(password=hashed)
        agent.user.password = hashed
    return agent


def _count_use(invite_id: int, now: datetime) -> bool:
    """Spend one use if the link is still usable; the row stays locked until commit
    (PostgreSQL re-checks the condition after waiting for a concurrent sign-up)."""
    usable = (
        Q(pk=invite_id, revoked_at__isnull=True)
        & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        & (Q(max_uses__isnull=True) | Q(used_count__lt=F("max_uses")))
    )
    return InviteLink.objects.filter(usable).update(used_count=F("used_count") + 1) == 1


def _check_username(user_model: type, username: str) -> None:
    if not 1 <= len(username) <= 150:
        raise InvalidInput("username must be 1–150 characters")
    try:
        user_model.username_validator(username)
    except ValidationError as exc:
        raise InvalidInput(
            "username may contain only letters, digits and the characters @ . + - _"
        ) from exc


def _check_email(email: str) -> None:
    if not email:
        return
    try:
        if len(email) > 254:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError as exc:
        raise InvalidInput(f"not an email address: {email!r}") from exc
