"""`kameng check --deploy`: what this configuration means for running on more than one
web process or host, in words an operator can act on. (Django's own deploy checks cover
HTTPS, cookies and HSTS; kameng/config.py sets those from KAMENG_PUBLIC_URL.)"""

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.db import connection


@register(Tags.security, deploy=True)
def deployment_shape(app_configs, **kwargs) -> list[Warning]:
    found: list[Warning] = []
    postgres = connection.vendor == "postgresql"
    if settings.KAMENG_KEYS_IN_DATA_DIR:
        found.append(
            Warning(
                f"The keys (Django's, the card-secret keys, the duplicate-digest key) are "
                f"read from {settings.DATA_DIR / 'secrets.json'}, generated on this "
                f"machine. Another host would generate different ones and could not read "
                f"this one's card codes, API keys or supplier secrets; losing the file "
                f"loses every unsold code.",
                hint="Back the file up. To run more than one host, set KAMENG_SECRET_KEY, "
                "KAMENG_CARD_KEYS and KAMENG_CARD_DIGEST_KEY to the same values on every "
                "host (the values in that file keep existing data readable).",
                id="kameng.W001",
            )
        )
    if not settings.REDIS_URL:
        found.append(
            Warning(
                "No REDIS_URL: API nonces and rate limits are kept in each web process and "
                "background tasks go through files in this machine's data folder. Two web "
                "processes would each accept the same signed request once.",
                hint="Run exactly one web process on one machine, or set REDIS_URL (the "
                "same Redis for every web process, worker and beat).",
                id="kameng.W002",
            )
        )
    if postgres and settings.KAMENG_SINGLE_HOST:
        found.append(
            Warning(
                "KAMENG_SINGLE_HOST=1: PostgreSQL is used as if this were the only machine.",
                hint="Fine for one host. Before adding a second, set the shared keys and "
                "REDIS_URL and remove KAMENG_SINGLE_HOST.",
                id="kameng.W003",
            )
        )
    if not settings.KAMENG_PUBLIC_URL.startswith("https://"):
        found.append(
            Warning(
                f"KAMENG_PUBLIC_URL is {settings.KAMENG_PUBLIC_URL}: suppliers' callbacks, "
                f"payment notifications and operator logins travel unencrypted.",
                hint="Serve Kameng behind TLS and set KAMENG_PUBLIC_URL=https://your.host; "
                "secure cookies, HSTS and the HTTPS redirect follow from it.",
                id="kameng.W004",
            )
        )
    return found
