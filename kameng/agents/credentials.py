"""Open-API credentials: an agent creates several, revokes any; the secret is shown
once, at creation, and kept encrypted so the platform can check signatures."""

import secrets
from dataclasses import dataclass

from django.utils import timezone

from kameng.agents.errors import AgentInactive, ApiKeyNotFound
from kameng.agents.models import Agent, ApiKey
from kameng.supply import vault


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


def find_key(app_key: str) -> tuple[ApiKey, str] | None:
    """The key (revoked or not, its agent loaded) and its secret; None if unknown."""
    key = ApiKey.objects.select_related("agent").filter(app_key=app_key).first()
    return None if key is None else (key, vault.decrypt(key.secret_encrypted))
