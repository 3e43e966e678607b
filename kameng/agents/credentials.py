"""Open-API credentials: an agent creates several, revokes any; the secret is shown
once, at creation, and kept encrypted so the platform can check signatures."""

import secrets
from dataclasses import dataclass

from django.utils import timezone

from kameng import db, vault
from kameng.agents.errors import AgentInactive, ApiKeyNotFound
from kameng.agents.models import Agent, ApiKey


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str  # only here, once: the platform never shows it again


def create_api_key(agent: Agent, *, label: str = "") -> IssuedKey:
    if not agent.active:
        raise AgentInactive(f"{agent} is disabled and cannot get API keys")
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        agent=agent,
        app_key=f"kmk_{secrets.token_hex(12)}",
        secret_encrypted=vault.encrypt(secret),
        label=label.strip()[:64],
    )
    return IssuedKey(key, secret)


def revoke_api_key(agent: Agent, app_key: str) -> ApiKey:
    """Effective for the next request. Revoking twice is harmless."""
    key = ApiKey.objects.filter(agent=agent, app_key=app_key).first()
    if key is None:
        raise ApiKeyNotFound(f"{agent} has no API key {app_key!r}", app_key=app_key)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def api_keys(agent: Agent) -> list[ApiKey]:
    return list(ApiKey.objects.filter(agent=agent))


# One read for every API request: the key, its agent. (Plain SQL: this runs on every call.)
_KEY_SQL = """
    SELECT k.id, k.secret_encrypted, k.revoked_at, k.last_used_at,
           a.id, a.user_id, a.parent_id, a.depth, a.path, a.wallet_id, a.active
    FROM agents_apikey k JOIN agents_agent a ON a.id = k.agent_id
    WHERE k.app_key = %s
"""


def find_key(app_key: str) -> tuple[ApiKey, str] | None:
    """The key (revoked or not, its agent loaded) and its secret; None if unknown."""
    row = db.fetch_one(_KEY_SQL, [app_key])
    if row is None:
        return None
    key_id, token, revoked_at, last_used_at, *agent_fields = row
    agent_id, user_id, parent_id, depth, path, wallet_id, active = agent_fields
    agent = Agent(
        pk=agent_id,
        user_id=user_id,
        parent_id=parent_id,
        depth=depth,
        path=path,
        wallet_id=wallet_id,
        active=bool(active),
    )
    key = ApiKey(
        pk=key_id,
        agent=agent,
        app_key=app_key,
        secret_encrypted=token,
        revoked_at=db.from_db_datetime(revoked_at),
        last_used_at=db.from_db_datetime(last_used_at),
    )
    return key, vault.decrypt(token)
