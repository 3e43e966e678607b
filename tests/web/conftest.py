from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils.translation.reloader import translation_file_changed


def reload_translations() -> None:
    """Forget the catalogues Django and gettext have loaded (as runserver does when a
    .mo changes), so the next page reads the freshly compiled ones."""
    translation_file_changed(sender=None, file_path=Path("django.mo"))


@pytest.fixture(scope="session")
def english() -> None:
    """The English catalogue, compiled as `make install` compiles it (the .mo files are
    not committed)."""
    call_command("compile_messages", verbosity=0)
    reload_translations()


@pytest.fixture
def style_page(settings) -> str:
    """/_style/, shown only with DEBUG."""
    settings.DEBUG = True
    return "/_style/"
