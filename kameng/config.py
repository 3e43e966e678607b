"""How the environment becomes settings, where a rule is worth a test of its own: which
deployments may start at all, and the HTTP security settings that follow from the
public URL. Plain functions of the environment (no Django imports), used by settings.py.
"""

from collections.abc import Mapping
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

# Keys every host of a deployment must share (otherwise each host generates its own
# under var/ and cannot read the others' secrets).
SHARED_KEYS = ("KAMENG_SECRET_KEY", "KAMENG_CARD_KEYS", "KAMENG_CARD_DIGEST_KEY")
SINGLE_HOST = "KAMENG_SINGLE_HOST"
TRUE = {"1", "true", "yes", "on"}


def env_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() in TRUE


def require_shared_services(env: Mapping[str, str], engine: str) -> None:
    """PostgreSQL is how Kameng runs on several hosts, so with it every host must get
    the same keys and the same Redis (nonces, rate limits, the task queue) from the
    environment. Refuse to start without them unless KAMENG_SINGLE_HOST says this
    machine is the only one."""
    if engine != "django.db.backends.postgresql" or env_bool(env, SINGLE_HOST, False):
        return
    missing = [name for name in (*SHARED_KEYS, "REDIS_URL") if not env.get(name)]
    if missing:
        raise ImproperlyConfigured(
            f"DATABASE_URL points at PostgreSQL, so Kameng may run on several hosts, and "
            f"every host needs the same keys and Redis. Not set: {', '.join(missing)}. "
            f"Set them (the same values on every host; `kameng check --deploy` explains "
            f"each), or set {SINGLE_HOST}=1 if this machine is the only one (keys then "
            f"live in this machine's data folder, and without REDIS_URL nonces and rate "
            f"limits are kept per process, so run a single web process)."
        )


def public_origin(public_url: str) -> str:
    parts = urlsplit(public_url)
    return f"{parts.scheme}://{parts.netloc}"


def http_security(env: Mapping[str, str], public_url: str) -> dict[str, object]:
    """Cookie, redirect, HSTS, proxy and CSRF-origin settings. On by default when the
    public URL is https (a TLS-terminating proxy in front, sending X-Forwarded-Proto);
    each can be set on its own."""
    https = urlsplit(public_url).scheme == "https"
    origins = [o.strip() for o in env.get("KAMENG_CSRF_TRUSTED_ORIGINS", "").split(",")]
    origins = [o for o in origins if o] or [public_origin(public_url)]
    proxy_header = env.get("KAMENG_PROXY_SSL_HEADER", "X-Forwarded-Proto" if https else "")
    hsts_default = 31536000 if https else 0  # a year
    settings: dict[str, object] = {
        "CSRF_TRUSTED_ORIGINS": origins,
        "SECURE_PROXY_SSL_HEADER": (
            ("HTTP_" + proxy_header.strip().upper().replace("-", "_"), "https")
            if proxy_header.strip()
            else None
        ),
        "SECURE_SSL_REDIRECT": env_bool(env, "KAMENG_SSL_REDIRECT", https),
        "SESSION_COOKIE_SECURE": env_bool(env, "KAMENG_SECURE_COOKIES", https),
        "CSRF_COOKIE_SECURE": env_bool(env, "KAMENG_SECURE_COOKIES", https),
        "SECURE_HSTS_SECONDS": int(env.get("KAMENG_HSTS_SECONDS") or hsts_default),
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": env_bool(env, "KAMENG_HSTS_INCLUDE_SUBDOMAINS", https),
        "SECURE_HSTS_PRELOAD": env_bool(env, "KAMENG_HSTS_PRELOAD", False),
    }
    return settings


def allowed_hosts(env: Mapping[str, str], public_url: str) -> list[str]:
    """KAMENG_ALLOWED_HOSTS, or the local names plus the public URL's host."""
    given = env.get("KAMENG_ALLOWED_HOSTS")
    if given:
        return [h.strip() for h in given.split(",") if h.strip()]
    hosts = ["127.0.0.1", "localhost", "testserver"]
    public_host = urlsplit(public_url).hostname
    if public_host and public_host not in hosts:
        hosts.append(public_host)
    return hosts
