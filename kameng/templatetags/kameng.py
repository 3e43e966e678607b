"""`{% load kameng %}`: how every page shows money, time, order statuses, QR codes and
form fields, so no template formats them on its own (DESIGN.md §10).

A platform module like kameng/money.py: it imports no app. The order statuses' labels
are repeated here (tests/web/test_filters.py holds them equal to kameng/orders/states.py)
so that they are translated where they are shown.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

import segno
from django import forms, template
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from kameng.money import to_money

register = template.Library()

# What a page shows where a value is missing (no amount, no time yet).
EMPTY = "—"


@register.filter(is_safe=True)
def yuan(value: Decimal | int | str | None) -> str:
    """Decimal yuan → "¥12.30": always two decimals, rounded half up (kameng.money); a
    negative amount "-¥5.00"; None → "—". A float is refused (TypeError): it cannot hold
    cents, and a float reaching a page means a sum was made the wrong way."""
    if value is None or value == "":
        return EMPTY
    amount = to_money(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):.2f}"


_WHEN_FORMATS = {
    "datetime": "%Y-%m-%d %H:%M",
    "date": "%Y-%m-%d",
    "time": "%H:%M",
    "seconds": "%Y-%m-%d %H:%M:%S",
}


@register.filter(is_safe=True)
def when(value: datetime | date | None, part: str = "datetime") -> str:
    """An aware datetime in Beijing time (TIME_ZONE, Asia/Shanghai), whatever zone it
    came in: "2026-12-07 12:30"; `|when:"date"` "2026-12-07", `|when:"time"` "12:30",
    `|when:"seconds"` "2026-12-07 12:30:05" (for logs an operator compares). None → "—".
    A naive datetime is refused: its zone is unknown, so any time shown could be wrong."""
    if value is None or value == "":
        return EMPTY
    if part not in _WHEN_FORMATS:
        raise ValueError(f"|when takes one of {sorted(_WHEN_FORMATS)}, not {part!r}")
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            raise ValueError(f"|when needs an aware datetime, got the naive {value!r}")
        value = value.astimezone(timezone.get_default_timezone())
    elif isinstance(value, date):
        part = "date"
    else:
        raise TypeError(f"|when needs a datetime or date, got {type(value).__name__}")
    return value.strftime(_WHEN_FORMATS[part])


# kameng/orders/states.py Status, value → label (translated when shown) and badge tone.
ORDER_STATUS_LABELS: dict[str, Promise] = {
    "created": gettext_lazy("待支付"),
    "paid": gettext_lazy("已支付"),
    "delivering": gettext_lazy("发货中"),
    "delivered": gettext_lazy("已发货"),
    "completed": gettext_lazy("已完成"),
    "failed": gettext_lazy("失败"),
    "refunded": gettext_lazy("已退款"),
    "disputed": gettext_lazy("售后中"),
    "expired": gettext_lazy("已关闭"),
    "review": gettext_lazy("待审核"),
}
# badge--<tone> in kameng.css: waiting for the buyer, under way, done, failed, closed,
# in dispute.
ORDER_STATUS_TONES = {
    "created": "wait",
    "paid": "progress",
    "delivering": "progress",
    "delivered": "done",
    "completed": "done",
    "failed": "fail",
    "refunded": "closed",
    "disputed": "dispute",
    "expired": "closed",
    "review": "wait",  # held by risk control until an operator decides
}


@register.filter
def status_label(value: str) -> str:
    """An order status value ("created") → its label in the active language (待支付 /
    Awaiting payment); an unknown value is shown as it is."""
    label = ORDER_STATUS_LABELS.get(str(value))
    return str(label) if label is not None else str(value)


@register.filter
def status_tone(value: str) -> str:
    """An order status value → the badge tone (kameng.css `badge--<tone>`)."""
    return ORDER_STATUS_TONES.get(str(value), "closed")


@dataclass(frozen=True)
class Step:
    label: str
    state: str  # done | current | todo | stopped (steps__item--<state> in kameng.css)


_STEP_LABELS = (
    pgettext_lazy("order step", "下单"),
    pgettext_lazy("order step", "支付"),
    pgettext_lazy("order step", "发货"),
    pgettext_lazy("order step", "完成"),
)
# status → (how many of the four steps are done, the step that ends the walk early).
_PROGRESS: dict[str, tuple[int, tuple[str, str] | None]] = {
    "created": (1, None),
    "paid": (2, None),
    "delivering": (2, None),
    "delivered": (3, None),
    "completed": (4, None),
    "expired": (1, ("expired", "stopped")),
    "failed": (1, ("failed", "stopped")),
    "refunded": (2, ("refunded", "stopped")),
    "disputed": (3, ("disputed", "current")),
    "review": (2, ("review", "current")),  # paid, held by risk control
}


@register.simple_tag
def order_steps(status: str) -> list[Step]:
    """`{% order_steps order.status as steps %}`: the buyer's walk 下单 → 支付 → 发货 →
    完成 for kameng/includes/steps.html; an order that left it (closed, failed,
    refunded, in dispute) ends with that status as its last step."""
    done, ending = _PROGRESS.get(str(status), (0, None))
    steps = [Step(str(label), "done") for label in _STEP_LABELS[:done]]
    if ending is not None:
        return [*steps, Step(status_label(ending[0]), ending[1])]
    rest = [Step(str(label), "todo") for label in _STEP_LABELS[done:]]
    if rest:
        rest[0] = Step(rest[0].label, "current")
    return steps + rest


@register.simple_tag
def qr_svg(text: str, label: str = "") -> SafeString:
    """`{% qr_svg pay_url %}`: the QR code of `text` as inline SVG, made here by segno
    (no image service, nothing fetched). The text itself is not written into the page;
    `label` (default 二维码) is its accessible name. Sized by CSS (`.qr`)."""
    return mark_safe(_qr_markup(str(text), str(label or gettext("二维码"))))


@lru_cache(maxsize=2048)
def _qr_markup(text: str, label: str) -> str:
    """Remembered per process: a product's share link is drawn on every view of its page,
    and encoding it (choosing the mask) took half of the page's time."""
    code = segno.make(text, error="m", micro=False)
    svg = code.svg_inline(
        scale=1,
        border=4,
        omitsize=True,
        svgclass="qr",
        lineclass=None,
        dark="#111",
        light="#fff",
        title=label,
    )
    # segno writes the markup and escapes the title itself; the role makes the title
    # the image's name for screen readers.
    return svg.replace("<svg ", '<svg role="img" ', 1)


_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
DEFAULT_BRAND = "#2563eb"


@register.simple_tag
def brand_style(colour: str) -> str:
    """`style="{% brand_style storefront.colour %}"`: the storefront's colour as the CSS
    custom properties kameng.css reads: --brand, --brand-ink (text on it: white or
    near-black, whichever reads better), --brand-soft (a pale tint for backgrounds) and
    --brand-strong (hover) and --brand-text (the colour darkened until it reads as text
    on white: links, plain buttons). Anything but "#RRGGBB" gives the default blue."""
    colour = colour if isinstance(colour, str) and _HEX_COLOUR.fullmatch(colour) else DEFAULT_BRAND
    rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    ink = "#ffffff" if _contrast_with_white(rgb) >= 3 else "#1f2329"
    soft = _mix(rgb, (255, 255, 255), 0.88)
    strong = _mix(rgb, (0, 0, 0), 0.15)
    darker = next(
        share / 20
        for share in range(21)
        if _contrast_with_white(_rgb(_mix(rgb, (0, 0, 0), share / 20))) >= 4.5
    )
    text = _mix(rgb, (0, 0, 0), darker)
    return (
        f"--brand:{colour.lower()};--brand-ink:{ink};--brand-soft:{soft};"
        f"--brand-strong:{strong};--brand-text:{text}"
    )


def _rgb(hex_colour: str) -> tuple[int, ...]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def _contrast_with_white(rgb: tuple[int, ...]) -> float:
    """WCAG contrast ratio of white on this colour, or of this colour on white (text
    needs 4.5; large bold button text 3)."""
    red, green, blue = rgb

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)
    return 1.05 / (luminance + 0.05)


def _mix(colour: tuple[int, ...], other: tuple[int, ...], share: float) -> str:
    mixed = (round(c * (1 - share) + o * share) for c, o in zip(colour, other, strict=True))
    return "#" + "".join(f"{c:02x}" for c in mixed)


_INPUT_MODES: tuple[tuple[type[forms.Field], str], ...] = (
    (forms.DecimalField, "decimal"),
    (forms.IntegerField, "numeric"),
    (forms.EmailField, "email"),
)


@register.simple_tag
def field_input(field: forms.BoundField, inputmode: str = "", autocomplete: str = "") -> str:
    """A bound field's widget with the phone keyboard it needs: `inputmode` (default
    from the field: decimal for amounts, numeric for counts, email) and `autocomplete`
    when given. Django adds aria-describedby (help) and aria-invalid (errors)."""
    attrs: dict[str, str] = {}
    mode = inputmode or next((m for kind, m in _INPUT_MODES if isinstance(field.field, kind)), "")
    if mode:
        attrs["inputmode"] = mode
    if autocomplete:
        attrs["autocomplete"] = autocomplete
    return field.as_widget(attrs=attrs)
