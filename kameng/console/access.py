"""Who may open a console page. Every console view is wrapped by exactly one of:

    @role_required("distributor")   the person's role; request.principal is its Agent
    @role_required("supplier")      … its Supplier (an applicant not yet approved is
                                    sent to the supplier console's home)
    @role_required("supplier", needs_supplier=False)
                                    … its SupplierAccount (pages before approval)
    @role_required("operator")      … the staff user
    @signed_in                      any signed-in person (their password, a page
                                    for someone with no role)
    @public                         the log-in, the password reset (marks the view;
                                    tests/console walks kameng.console.urls and
                                    requires every other page to ask for a log-in)

Class-based views: RoleRequiredMixin with `role = "distributor"` (and
`needs_supplier`). What each principal may see is kameng.console.scope's.

Anonymous → 302 to the log-in page with ?next=; signed in but the TOTP code still
missing → the code step; the wrong role → 404 (the console's 404 page: nothing tells a
guessed URL exists); an Http404 raised inside the view (scope.one) → the same page.
Console pages are never stored by a cache.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from kameng.console import otp, roles
from kameng.console.nav import Frame

View = Callable[..., HttpResponse]


def public(view: View) -> View:
    """Mark a view open to anyone (the log-in and password-reset pages)."""
    view.console_public = True  # type: ignore[attr-defined]
    return view


def not_found(request: HttpRequest) -> HttpResponse:
    """The console's 404: the same for a page that does not exist, another role's page
    and another principal's object."""
    response = render(request, "console/not_found.html", status=404)
    add_never_cache_headers(response)
    return response


def _to_login(request: HttpRequest) -> HttpResponse | None:
    """The redirect a person not (fully) signed in gets, or None if they are."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("console:login"))
    if otp.code_needed(request):
        return redirect_to_login(request.get_full_path(), reverse("console:login_code"))
    return None


def enter(
    request: HttpRequest, role: str | None, *, needs_supplier: bool = True
) -> HttpResponse | None:
    """Let the request in (request.principal, request.console set) or answer it: a
    redirect to the log-in, or the 404. `role` None: any signed-in person."""
    refused = _to_login(request)
    if refused is not None:
        return refused
    user = request.user
    held = roles.roles_of(user)
    if role is None:
        request.principal = None
        request.console = Frame(user, held[0] if held else None, held, request.path)
        return None
    principal = roles.principal(user, role, needs_supplier=needs_supplier)
    if principal is None and role == roles.SUPPLIER and role in held:
        # An applicant on a page that needs an approved supplier: back to its home.
        return HttpResponseRedirect(reverse("console:s:home"))
    if principal is None:
        return not_found(request)
    request.principal = principal
    linked = roles.supplier_of(user) is not None if role == roles.SUPPLIER else True
    request.console = Frame(user, role, held, request.path, principal, linked)
    return None


def _guarded(view: View, role: str | None, needs_supplier: bool) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = enter(request, role, needs_supplier=needs_supplier)
        if response is None:
            try:
                response = view(request, *args, **kwargs)
            except Http404:
                response = not_found(request)
        add_never_cache_headers(response)
        return response

    return wrapped


def role_required(role: str, *, needs_supplier: bool = True) -> Callable[[View], View]:
    """The view is one of `role`'s console pages (roles.DISTRIBUTOR, SUPPLIER, OPERATOR)."""
    if role not in roles.ROLES:
        raise ValueError(f"unknown console role {role!r}; one of {roles.ROLES}")

    def decorate(view: View) -> View:
        return _guarded(view, role, needs_supplier)

    return decorate


def signed_in(view: View) -> View:
    """Any signed-in person's page (request.console: their first role's frame)."""
    return _guarded(view, None, True)


class RoleRequiredMixin:
    """role_required for class-based views: set `role` (and `needs_supplier`)."""

    role: str = ""
    needs_supplier: bool = True

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.role not in roles.ROLES:
            raise ValueError(f"{type(self).__name__}.role must be one of {roles.ROLES}")
        guarded = _guarded(super().dispatch, self.role, self.needs_supplier)  # type: ignore[misc]
        return guarded(request, *args, **kwargs)
