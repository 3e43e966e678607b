"""A refusal (a kameng.errors.DomainError) as the person at a page reads it: the one
place a service's refusal becomes a form message or a page's status, for the
storefront's pages and the consoles alike. Views translate; services decide.

A refusal's `title` is its short Chinese sentence, shown in the active language. The
error classes keep their titles as plain strings, which makemessages does not read, so
each family of pages marks the titles its people can meet with gettext_noop (e.g.
kameng.storefront.forms.BUYER_ERROR_TITLES) and its tests hold that list to the classes.
A platform module: it imports no app.
"""

from collections.abc import Mapping

from django import forms
from django.utils.translation import gettext

from kameng.errors import DomainError


def refusal_text(exc: DomainError) -> str:
    """What the person reads for a refusal: its title, in the active language."""
    return gettext(exc.title)


def refusal_status(exc: DomainError) -> int:
    """The page's status for a refusal: 429 for limits (retry later), else 400."""
    return 429 if exc.status == 429 else 400


def add_refusal(
    form: forms.Form, exc: DomainError, fields: Mapping[str, str] | None = None
) -> None:
    """Show a refusal on the form: beside a field when `fields` maps the refusal's code
    to a field the form has, else above the form (form_errors.html)."""
    field = (fields or {}).get(exc.code)
    form.add_error(field if field in form.fields else None, refusal_text(exc))
