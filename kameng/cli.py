"""The `kameng` console script: Django's manage.py, with hyphenated command names.

`kameng seed-demo` runs the management command `seed_demo`, and `kameng help
seed-demo` shows its help, so operators type the same words the README uses; the
command list and "Unknown command" spell them with hyphens too.
"""

import os
import sys
from difflib import get_close_matches

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import ManagementUtility, get_commands

from kameng.commands import PROG, command_word


def module_name(word: str) -> str:
    """`sim-supplier` → `sim_supplier`, the management command's module."""
    return word.replace("-", "_")


class KamengUtility(ManagementUtility):
    def __init__(self, argv: list[str]) -> None:
        super().__init__(argv)
        self.prog_name = PROG  # not argv[0]'s basename (cli.py, manage.py)

    def main_help_text(self, commands_only: bool = False) -> str:
        text = super().main_help_text(commands_only)
        # Command names are the indented lines (all lines with --commands).
        return "\n".join(
            command_word(line) if commands_only or line.startswith("    ") else line
            for line in text.splitlines()
        )

    def fetch_command(self, subcommand: str):
        commands = get_commands()
        if subcommand not in commands:
            if os.environ.get("DJANGO_SETTINGS_MODULE"):
                # get_commands() swallows a settings error (then only Django's own
                # commands are known): raise it rather than call the command unknown.
                settings.INSTALLED_APPS  # noqa: B018
            words = [command_word(name) for name in commands]
            message = f"Unknown command: {command_word(subcommand)!r}"
            matches = get_close_matches(command_word(subcommand), words)
            if matches:
                message += f". Did you mean {matches[0]}?"
            sys.stderr.write(f"{message}\nType '{PROG} help' for usage.\n")
            sys.exit(1)
        return super().fetch_command(subcommand)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kameng.settings")
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = module_name(argv[1])
        # `kameng help sim-supplier`
        if argv[1] == "help" and len(argv) > 2 and not argv[2].startswith("-"):
            argv[2] = module_name(argv[2])
    try:
        KamengUtility(argv).execute()
    except ImproperlyConfigured as exc:  # settings refused this environment: say why, once
        sys.stderr.write(f"{PROG}: configuration error: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
