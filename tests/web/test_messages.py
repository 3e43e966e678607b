"""The pages' translations build on a machine without GNU gettext (Babel), and the
English catalogue is complete."""

from pathlib import Path

import pytest
from babel.messages import pofile
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

from kameng import i18n
from tests.web.conftest import reload_translations

EN_PO = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES" / "django.po"


def test_compile_messages_builds_the_catalogue_django_reads(capsys):
    mo = EN_PO.with_suffix(".mo")
    before = mo.stat().st_ino if mo.exists() else None
    call_command("compile_messages")
    assert f"{mo}: " in capsys.readouterr().out
    # A new file put in place at once (a running server never reads half of one).
    assert mo.stat().st_ino != before
    assert mo.stat().st_size > 0
    reload_translations()
    with translation.override("en"):
        assert translation.gettext("已复制") == "Copied"
        assert translation.gettext("待支付") == "Awaiting payment"
    with translation.override("zh-hans"):
        assert translation.gettext("已复制") == "已复制"


def test_every_english_message_is_translated():
    with EN_PO.open("rb") as fh:
        catalog = pofile.read_po(fh, locale="en")
    assert catalog.locale_identifier == "en"
    untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert untranslated == []


def _write_po(folder: Path, entry: str) -> Path:
    po = folder / "en" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        + entry,
        encoding="utf-8",
    )
    return po


def test_a_translation_that_changes_a_placeholder_is_refused(tmp_path):
    po = _write_po(
        tmp_path, '#, python-format\nmsgid "库存 %(stock)s"\nmsgstr "%(count)s in stock"\n'
    )
    with pytest.raises(i18n.CatalogueInvalid, match="stock"):
        i18n.compile_catalogue(po)
    assert not po.with_suffix(".mo").exists()


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ('msgid "复制"\nmsgstr "Copy\n', "not a line of a PO file"),  # Babel would keep "Cop"
        ('msgid "复制"\nmsgstr Copy\n', "not a line of a PO file"),
        ('msgid "复制"\nmsgstr "Copy"\n\nmsgid "复制"\nmsgstr "Duplicate"\n', "twice"),
    ],
)
def test_a_catalogue_msgfmt_would_refuse_is_refused(tmp_path, entry, problem):
    po = _write_po(tmp_path, entry)
    with pytest.raises(i18n.CatalogueInvalid, match=problem):
        i18n.compile_catalogue(po)
    assert not po.with_suffix(".mo").exists()


def test_the_same_msgid_in_two_contexts_is_fine(tmp_path):
    po = _write_po(
        tmp_path,
        'msgctxt "button"\nmsgid "复制"\nmsgstr "Copy"\n\n'
        'msgctxt "noun"\nmsgid "复制"\nmsgstr "Copy (noun)"\n\n'
        'msgid ""\n"多行"\n"文本"\nmsgstr ""\n"Several "\n"lines"\n',
    )
    assert i18n.compile_catalogue(po).messages == 3


def test_fuzzy_and_empty_translations_are_left_out(tmp_path):
    po = _write_po(
        tmp_path,
        'msgid "复制"\nmsgstr "Copy"\n\n#, fuzzy\nmsgid "已复制"\nmsgstr "Copied?"\n\n'
        'msgid "取消"\nmsgstr ""\n',
    )
    compiled = i18n.compile_catalogue(po)
    assert (compiled.messages, compiled.untranslated) == (1, 2)
    assert i18n.catalogues([tmp_path]) == [po]
