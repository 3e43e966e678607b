"""Base for Kameng's management commands: domain errors become one clear line on
stderr and exit status 1, never a traceback."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kameng.errors import DomainError


class KamengCommand(BaseCommand):
    def execute(self, *args: Any, **options: Any) -> str | None:
        try:
            return super().execute(*args, **options)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc

    def print_json(self, data: object) -> None:
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str))
