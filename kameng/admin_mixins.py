"""Shared pieces for the operator admin."""

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.http import HttpRequest

from kameng.errors import DomainError


class ReadOnlyAdminMixin:
    """View-only admin (ModelAdmin or inline): no add, change or delete, for anyone.

    Rows shown this way are written only by services (ledger postings, order workflows,
    card imports); the admin may look but never touch. View permission still applies.
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReasonActionForm(helpers.ActionForm):
    """The changelist's action bar, with a reason box for decisions that need one."""

    reason = forms.CharField(
        label="理由",
        required=False,
        max_length=1000,
        widget=forms.TextInput(attrs={"placeholder": "需要理由的操作必填", "size": 40}),
    )


def action_reason(request: HttpRequest) -> str:
    """The reason typed into ReasonActionForm's box, stripped."""
    return request.POST.get("reason", "").strip()


def decide_each(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    objects: Iterable[Any],
    decide: Callable[[Any], object],
) -> int:
    """Apply one decision to each object; report refusals one by one, count successes."""
    done = 0
    for obj in objects:
        try:
            decide(obj)
        except DomainError as exc:
            model_admin.message_user(request, f"{obj}：{exc.title}（{exc.code}）", messages.ERROR)
        else:
            done += 1
    return done
