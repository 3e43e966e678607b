from pathlib import Path
from typing import Any

from django.conf import settings

from kameng import i18n
from kameng.commands import KamengCommand


class Command(KamengCommand):
    help = (
        "Compile the pages' translations (every LOCALE_PATHS/<lang>/LC_MESSAGES/*.po) "
        "into the .mo files Django reads, with Babel: no GNU gettext needed. `make "
        "install` runs it; run it again after editing a .po file."
    )
    json_option = False

    def handle(self, *args: Any, **options: Any) -> None:
        found = i18n.catalogues([Path(folder) for folder in settings.LOCALE_PATHS])
        for po in found:
            compiled = i18n.compile_catalogue(po)
            if options["verbosity"] >= 1:
                missing = (
                    f" ({compiled.untranslated} untranslated)" if compiled.untranslated else ""
                )
                self.stdout.write(f"{compiled.mo}: {compiled.messages} messages{missing}")
        if not found and options["verbosity"] >= 1:
            self.stdout.write("no message catalogues found under LOCALE_PATHS")
