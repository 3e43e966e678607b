"""Base for Kameng's management commands: domain errors become one clear line on
stderr and exit status 1, never a traceback; usage lines read `kameng place-order`,
as operators type it (kameng/cli.py); every command that prints JSON takes `--json`
for one compact line a script can read."""

import json
import unicodedata
from collections.abc import Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kameng.errors import DomainError

PROG = "kameng"


def command_word(name: str) -> str:
    """`sim_supplier` → `sim-supplier`: the name as the README and usage lines spell it."""
    return name.replace("_", "-")


class KamengCommand(BaseCommand):
    # False for a command that prints no JSON (or only ever one line of it).
    json_option = True

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # Django builds "<basename of argv[0]> <module name>" (`manage.py sim_supplier`,
        # or " sim_supplier" under call_command); operators run `kameng sim-supplier`.
        parser = super().create_parser(PROG, command_word(subcommand), **kwargs)
        # A command may define its own --json (its add_arguments ran above).
        if self.json_option and "--json" not in parser._option_string_actions:
            parser.add_argument(
                "--json",
                action="store_true",
                help="print the result as one line of JSON, for scripts",
            )
        return parser

    def execute(self, *args: Any, **options: Any) -> str | None:
        self.one_line_json = bool(options.get("json"))
        try:
            return super().execute(*args, **options)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc

    def print_json(self, data: object) -> None:
        if getattr(self, "one_line_json", False):
            text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
        else:
            text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
        self.stdout.write(text)

    def print_rows(self, rows: Sequence[dict], columns: Sequence[str], *, empty: str) -> None:
        """Listings: an aligned table for people, or with --json the rows as one line."""
        if getattr(self, "one_line_json", False):
            self.print_json(list(rows))
        elif not rows:
            self.stdout.write(empty)
        else:
            self.stdout.write(format_table(rows, columns))


def format_table(rows: Sequence[dict], columns: Sequence[str]) -> str:
    """Left-aligned columns headed by their keys; Chinese characters count as two
    terminal columns, so names like 腾讯Q币卡 line up; None shows as "-"."""
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [
        max(_width(text) for text in [column, *(line[i] for line in cells)])
        for i, column in enumerate(columns)
    ]
    lines = [list(columns), *cells]
    return "\n".join(
        "  ".join(_pad(text, width) for text, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
