"""`{% load kameng %}`: money and time shown one way on every page (DESIGN.md §10)."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.template import Context, Template
from django.utils import timezone, translation

from kameng.orders.states import Status
from kameng.templatetags import kameng as tags


def render(source: str, **context: object) -> str:
    return Template("{% load kameng %}" + source).render(Context(context))


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("12.3"), "¥12.30"),
        (Decimal("12.30"), "¥12.30"),
        (Decimal("0"), "¥0.00"),
        (Decimal("0.1") + Decimal("0.2"), "¥0.30"),
        (Decimal("1.005"), "¥1.01"),  # half up, as kameng.money rounds
        (Decimal("-5"), "-¥5.00"),
        (Decimal("-0.00"), "¥0.00"),
        (7, "¥7.00"),
        ("99.5", "¥99.50"),
        # A float would show ...99.98 or lose the cents: only Decimal keeps them.
        (Decimal("9999999999999.99"), "¥9999999999999.99"),
        (Decimal("12345678901234567.89"), "¥12345678901234567.89"),
    ],
)
def test_yuan_always_shows_two_exact_decimals(amount, shown):
    assert tags.yuan(amount) == shown
    assert render("{{ amount|yuan }}", amount=amount) == shown


def test_yuan_shows_a_dash_for_nothing():
    assert tags.yuan(None) == "—"
    assert render("{{ amount|yuan }}", amount=None) == "—"
    assert render("{{ missing|yuan }}") == "—"


def test_yuan_refuses_a_float():
    with pytest.raises(TypeError):
        tags.yuan(12.3)


@pytest.mark.parametrize(
    ("moment", "part", "shown"),
    [
        (datetime(2026, 12, 7, 4, 30, tzinfo=UTC), "datetime", "2026-12-07 12:30"),
        (datetime(2026, 12, 7, 4, 30, tzinfo=UTC), "date", "2026-12-07"),
        (datetime(2026, 12, 7, 4, 30, tzinfo=UTC), "time", "12:30"),
        (datetime(2026, 12, 7, 4, 30, 5, tzinfo=UTC), "seconds", "2026-12-07 12:30:05"),
        # After 16:00 UTC it is already the next day in Beijing.
        (datetime(2026, 12, 6, 16, 30, tzinfo=UTC), "datetime", "2026-12-07 00:30"),
        (datetime(2026, 12, 6, 16, 30, tzinfo=UTC), "date", "2026-12-07"),
        (
            datetime(2026, 12, 6, 23, 30, tzinfo=ZoneInfo("America/New_York")),
            "datetime",
            "2026-12-07 12:30",
        ),
        (date(2026, 12, 7), "datetime", "2026-12-07"),
    ],
)
def test_when_shows_beijing_time(moment, part, shown):
    assert tags.when(moment, part) == shown


def test_when_in_a_template_and_for_nothing():
    moment = datetime(2026, 12, 7, 4, 30, tzinfo=UTC)
    assert render("{{ t|when }} {{ t|when:'date' }} {{ t|when:'time' }}", t=moment) == (
        "2026-12-07 12:30 2026-12-07 12:30"
    )
    assert render("{{ t|when }}", t=None) == "—"


def test_when_ignores_the_zone_a_request_activated():
    with timezone.override(ZoneInfo("Europe/London")):
        assert tags.when(datetime(2026, 12, 7, 4, 30, tzinfo=UTC)) == "2026-12-07 12:30"


def test_when_refuses_a_naive_datetime_and_an_unknown_part():
    with pytest.raises(ValueError, match="naive"):
        tags.when(datetime(2026, 12, 7, 12, 30))
    with pytest.raises(ValueError, match="one of"):
        tags.when(datetime(2026, 12, 7, 4, 30, tzinfo=UTC), "weekday")


def test_the_order_status_labels_are_the_order_state_machine_s():
    with translation.override("zh-hans"):
        assert {value: str(label) for value, label in tags.ORDER_STATUS_LABELS.items()} == {
            status.value: status.label for status in Status
        }
    assert set(tags.ORDER_STATUS_TONES) == {status.value for status in Status}


def test_status_label_and_badge(english):
    with translation.override("zh-hans"):
        assert render("{{ s|status_label }}", s="created") == "待支付"
        assert render("{{ s|status_label }}", s="expired") == "已关闭"
        badge = render('{% include "kameng/includes/status_badge.html" %}', status="disputed")
        assert badge.strip() == '<span class="badge badge--dispute">售后中</span>'
    with translation.override("en"):
        assert render("{{ s|status_label }}", s="created") == "Awaiting payment"
        assert render("{{ s|status_label }}", s="disputed") == "In dispute"
    assert render("{{ s|status_label }}", s="no-such-status") == "no-such-status"


def _walk(status: str) -> list[tuple[str, str]]:
    with translation.override("zh-hans"):
        return [(step.label, step.state) for step in tags.order_steps(status)]


def test_order_steps_follow_the_order():
    assert _walk("created") == [
        ("下单", "done"),
        ("支付", "current"),
        ("发货", "todo"),
        ("完成", "todo"),
    ]
    assert _walk("delivered") == [
        ("下单", "done"),
        ("支付", "done"),
        ("发货", "done"),
        ("完成", "current"),
    ]
    assert [state for _, state in _walk("completed")] == ["done"] * 4
    assert _walk("expired") == [("下单", "done"), ("已关闭", "stopped")]
    assert _walk("refunded") == [("下单", "done"), ("支付", "done"), ("已退款", "stopped")]
    assert _walk("disputed")[-1] == ("售后中", "current")
    for status in Status:
        assert _walk(status.value)[0] == ("下单", "done")


def test_brand_style_picks_readable_text_on_the_colour():
    assert tags.brand_style("#2563EB").startswith("--brand:#2563eb;--brand-ink:#ffffff;")
    yellow = tags.brand_style("#ffe000")
    assert "--brand-ink:#1f2329" in yellow  # dark text on a yellow button
    text = re.search(r"--brand-text:#(\w{6})", yellow).group(1)
    rgb = tuple(int(text[i : i + 2], 16) for i in (0, 2, 4))
    assert tags._contrast_with_white(rgb) >= 4.5  # yellow links darkened until readable
    assert "--brand-text:#2563eb" in tags.brand_style("#2563eb")  # dark enough already
    assert tags.brand_style("red;}body{display:none") == tags.brand_style(tags.DEFAULT_BRAND)
    assert tags.brand_style(None) == tags.brand_style(tags.DEFAULT_BRAND)


class _Form(forms.Form):
    amount = forms.DecimalField(label="金额", help_text="元")
    quantity = forms.IntegerField(label="数量")
    email = forms.EmailField(label="邮箱")
    contact = forms.CharField(label="联系方式")


def test_fields_bring_the_phone_keyboard_they_need():
    form = _Form()
    assert 'inputmode="decimal"' in tags.field_input(form["amount"])
    assert 'inputmode="numeric"' in tags.field_input(form["quantity"])
    assert 'inputmode="email"' in tags.field_input(form["email"])
    assert "inputmode" not in tags.field_input(form["contact"])
    assert 'inputmode="tel"' in tags.field_input(form["contact"], inputmode="tel")
    html = render('{% include "kameng/includes/field.html" with field=f %}', f=form["amount"])
    assert '<label class="field__label" for="id_amount">金额</label>' in html
    assert 'aria-describedby="id_amount_helptext"' in html
    assert '<p class="field__help" id="id_amount_helptext">元</p>' in html
