"""The pages' message catalogues, compiled without GNU gettext.

Msgids are Chinese (the source language, zh-hans); each other language has a django.po
under kameng/locale/<lang>/LC_MESSAGES/. The .mo files Django reads are built from them
on every machine (`make install` runs `kameng compile-messages`) and never committed, so
a fresh checkout needs nothing but Python: Babel reads and writes the formats.
"""

import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from babel.messages import mofile, pofile
from babel.messages.pofile import PoFileError
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from kameng.errors import InvalidInput


class CatalogueInvalid(InvalidInput):
    code = "catalogue_invalid"
    title = "翻译文件有误，无法编译"


@dataclass(frozen=True)
class Compiled:
    po: Path
    mo: Path
    messages: int  # translated, non-fuzzy messages written
    untranslated: int


def catalogues(locale_dirs: list[Path]) -> list[Path]:
    """Every <dir>/<lang>/LC_MESSAGES/*.po under the given locale folders, sorted."""
    return sorted(po for folder in locale_dirs for po in Path(folder).glob("*/LC_MESSAGES/*.po"))


def compile_catalogue(po: Path) -> Compiled:
    """po → the .mo beside it, written atomically (a running server may be reading the
    old one). Refuses a catalogue that does not parse or whose translations drop or
    change a placeholder (`%(name)s`), as msgfmt --check does: such a .mo would break
    the page that uses it. Fuzzy entries are left out, as msgfmt leaves them out."""
    locale = po.parent.parent.name
    try:
        problems = _syntax_problems(po, po.read_text(encoding="utf-8"))
        with po.open("rb") as fh:
            catalog = pofile.read_po(fh, locale=locale, abort_invalid=True)
    except (PoFileError, ValueError) as exc:
        raise CatalogueInvalid(f"{po}: {exc}") from exc
    problems += [
        f"{po}:{message.lineno}: {message.id!r}: {error}"
        for message, errors in catalog.check()
        for error in errors
    ]
    if problems:
        raise CatalogueInvalid("; ".join(problems))
    entries = [message for message in catalog if message.id]
    translated = [m for m in entries if _is_translated(m.string) and not m.fuzzy]
    mo = po.with_suffix(".mo")
    fd, temporary = tempfile.mkstemp(dir=po.parent, prefix=".django-", suffix=".mo")
    try:
        with os.fdopen(fd, "wb") as out:
            mofile.write_mo(out, catalog, use_fuzzy=False)
        os.chmod(temporary, 0o644)
        os.replace(temporary, mo)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Compiled(
        po=po, mo=mo, messages=len(translated), untranslated=len(entries) - len(translated)
    )


# One line of an entry: a keyword and a quoted string, or a quoted continuation.
_PO_LINE = re.compile(r'(?:(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+)?"((?:[^"\\]|\\.)*)"')


def _syntax_problems(po: Path, text: str) -> list[str]:
    """What msgfmt refuses and Babel lets through: a line that is not a keyword and a
    closed string (Babel keeps "Cop" of an unclosed "Copy), and a msgid given twice
    (Babel keeps the first and drops the other silently)."""
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    keyword, context, msgid = "", "", ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _PO_LINE.fullmatch(stripped)
        if match is None:
            problems.append(f"{po}:{number}: not a line of a PO file: {stripped[:60]!r}")
            continue
        if match.group(1):
            if match.group(1).startswith("msgstr") and keyword in ("msgid", "msgid_plural"):
                if msgid and (context, msgid) in seen:
                    problems.append(f"{po}:{number}: {msgid!r} is translated twice")
                seen.add((context, msgid))
                context = msgid = ""
            keyword = match.group(1)
        if keyword == "msgctxt":
            context += match.group(2)
        elif keyword == "msgid":
            msgid += match.group(2)
    return problems


def _is_translated(string: str | tuple[str, ...]) -> bool:
    if isinstance(string, tuple):
        return all(string)
    return bool(string)


class ChineseFirstLocaleMiddleware:
    """Pages are Chinese unless the visitor chose English with the footer's switch (its
    cookie). Django's LocaleMiddleware would follow the browser's Accept-Language, so a
    buyer whose phone is set to English, or an operator's English desktop browser, would
    get a mixed English shop by default; Kameng is Chinese first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        code = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(code)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        patch_vary_headers(response, ["Cookie"])
        return response
