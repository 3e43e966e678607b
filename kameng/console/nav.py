"""The consoles' navigation, in one place: each role's pages in the order its side
menu (desk) and top menu (phone) list them. An item shows once its URL exists, so a
page is added by its view and URL (kameng/console/<role>/urls.py) plus, if it belongs
in the menu, a line here.

`Frame` is what console/base.html shows around a page: whose console it is (name,
role), the menu with the current page marked, and the other consoles of a person
with several roles. kameng.console.access puts it on request.console.
"""

from dataclasses import dataclass, field
from functools import cached_property

from django.contrib.auth.models import AbstractBaseUser
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kameng.console import roles


@dataclass(frozen=True)
class Item:
    label: Promise
    url_name: str  # "console:d:orders"
    exact: bool = False  # marked only on its own URL (a home), not on pages below it
    needs_supplier: bool = False  # hidden from a supplier's applicant until approved


NAV: dict[str, tuple[Item, ...]] = {
    roles.DISTRIBUTOR: (
        Item(_("概览"), "console:d:home", exact=True),
        Item(_("订单"), "console:d:orders"),
        Item(_("下级代理"), "console:d:agents"),
        Item(_("价格"), "console:d:prices"),
        Item(_("店铺"), "console:d:shop"),
        Item(_("接口与回调"), "console:d:api"),
        Item(_("资金"), "console:d:money"),
    ),
    roles.SUPPLIER: (
        Item(_("概览"), "console:s:home", exact=True),
        Item(_("资质审核"), "console:s:application"),
        Item(_("卡密批次"), "console:s:batches", needs_supplier=True),
        Item(_("接口对接"), "console:s:connection", needs_supplier=True),
        Item(_("销售与对账"), "console:s:statements", needs_supplier=True),
        Item(_("投诉"), "console:s:complaints", needs_supplier=True),
    ),
    roles.OPERATOR: (
        Item(_("概览"), "console:o:home", exact=True),
        Item(_("审核队列"), "console:o:queues"),
        Item(_("代理"), "console:o:agents"),
        Item(_("供应商"), "console:o:suppliers"),
        Item(_("货源对接"), "console:o:docking"),
        Item(_("账本"), "console:o:ledger"),
        Item(_("支付与退款"), "console:o:payments"),
        Item(_("风控规则"), "console:o:risk_rules"),
        Item(_("两步验证"), "console:o:otp"),
    ),
}


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    current: bool = False


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:  # a page not built yet
        return None


@dataclass
class Frame:
    """The console around one page: `role` is None on pages of no single role (the
    password, a person without a role)."""

    user: AbstractBaseUser
    role: str | None
    roles: tuple[str, ...]
    path: str
    principal: object | None = None
    supplier_linked: bool = field(default=True)

    @property
    def name(self) -> str:
        full = self.user.get_full_name() if hasattr(self.user, "get_full_name") else ""
        return full or self.user.get_username()

    @property
    def role_label(self) -> str:
        return str(roles.ROLE_LABELS[self.role]) if self.role else ""

    @property
    def title(self) -> str:
        """The console's name (分销商后台), or the platform's on pages of no role."""
        return str(roles.CONSOLE_TITLES[self.role]) if self.role else "Kameng 卡盟"

    @property
    def home_url(self) -> str:
        if self.role is None:
            return reverse("console:home")
        return reverse(f"console:{roles.NAMESPACES[self.role]}:home")

    @cached_property
    def nav(self) -> list[Link]:
        """This role's menu: the pages that exist, the current one marked."""
        links = []
        for item in NAV.get(self.role or "", ()):
            if item.needs_supplier and not self.supplier_linked:
                continue
            url = _url(item.url_name)
            if url is None:
                continue
            current = self.path == url if item.exact else self.path.startswith(url)
            links.append(Link(str(item.label), url, current))
        return links

    @cached_property
    def others(self) -> list[Link]:
        """The person's other consoles (most people have none)."""
        return [
            Link(str(roles.CONSOLE_TITLES[role]), reverse(f"console:{roles.NAMESPACES[role]}:home"))
            for role in self.roles
            if role != self.role
        ]
