"""Who a person is in the consoles. Three roles, each with its principal (what the
console's pages work for, kameng.console.access puts it on request.principal):

- distributor: the user has an active agents.Agent (the principal: the Agent);
- supplier: the user has a suppliers.SupplierAccount (the principal: its Supplier,
  or the account itself on the pages an applicant sees before approval);
- operator: the user is active staff (the principal: the user).

Small functions, each one or two queries, called once per page by the access checks.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ObjectDoesNotExist
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kameng.agents.models import Agent
from kameng.suppliers.models import Supplier, SupplierAccount

DISTRIBUTOR = "distributor"
SUPPLIER = "supplier"
OPERATOR = "operator"
# In the order a person with several roles sees them offered.
ROLES = (DISTRIBUTOR, SUPPLIER, OPERATOR)

ROLE_LABELS: dict[str, Promise] = {
    DISTRIBUTOR: _("分销商"),
    SUPPLIER: _("供应商"),
    OPERATOR: _("平台运营"),
}
CONSOLE_TITLES: dict[str, Promise] = {
    DISTRIBUTOR: _("分销商后台"),
    SUPPLIER: _("供应商后台"),
    OPERATOR: _("运营后台"),
}
# Each role's console under /console/ (kameng/console/urls.py: the namespaces d, s, o).
NAMESPACES = {DISTRIBUTOR: "d", SUPPLIER: "s", OPERATOR: "o"}

User = AbstractBaseUser | AnonymousUser
_ACCOUNT = "_console_supplier_account"
_UNREAD = object()


def _signed_in(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def agent_of(user: User) -> Agent | None:
    """The user's agent, if both are active: an agent the operator disabled has no
    console (its orders and money stay as they are)."""
    if not _signed_in(user):
        return None
    try:
        agent = user.agent
    except ObjectDoesNotExist:
        return None
    return agent if agent.active else None


def supplier_account_of(user: User) -> SupplierAccount | None:
    """The user's SupplierAccount (an applicant's or an approved supplier's person)."""
    if not _signed_in(user):
        return None
    # Asked several times per page (roles, principal, menu): read once per user object.
    account = getattr(user, _ACCOUNT, _UNREAD)
    if account is _UNREAD:
        account = SupplierAccount.objects.select_related("supplier").filter(user=user).first()
        setattr(user, _ACCOUNT, account)
    return account


def supplier_of(user: User) -> Supplier | None:
    """The supplier the user works for; None before its application is approved."""
    account = supplier_account_of(user)
    return getattr(account, "supplier", None) if account is not None else None


def is_operator(user: User) -> bool:
    return bool(_signed_in(user) and user.is_staff)


def roles_of(user: User) -> tuple[str, ...]:
    """Every role the user has, in ROLES order (most people have one)."""
    found = []
    if agent_of(user) is not None:
        found.append(DISTRIBUTOR)
    if supplier_account_of(user) is not None:
        found.append(SUPPLIER)
    if is_operator(user):
        found.append(OPERATOR)
    return tuple(found)


def principal(user: User, role: str, *, needs_supplier: bool = True) -> object | None:
    """What the user works for in that role's console, or None if it is not theirs.
    For suppliers: the Supplier, or with needs_supplier=False the SupplierAccount
    (approved or not: the application pages)."""
    if role == DISTRIBUTOR:
        return agent_of(user)
    if role == SUPPLIER:
        account = supplier_account_of(user)
        if account is None or not needs_supplier:
            return account
        return getattr(account, "supplier", None)
    if role == OPERATOR:
        return user if is_operator(user) else None
    raise ValueError(f"unknown console role {role!r}; one of {ROLES}")
