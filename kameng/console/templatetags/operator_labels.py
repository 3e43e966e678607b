"""Status and kind labels on the operator's pages, in the active language: the models'
own choice labels are plain Chinese strings (the admin's), so the console keeps its
translatable ones here. `{{ request.status|op_label:"topup" }}`; an unknown value is
shown as it is."""

from decimal import Decimal

from django import template
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kameng.money import to_money

register = template.Library()

LABELS: dict[str, dict[str, Promise]] = {
    "topup": {"submitted": _("待审核"), "approved": _("已入账"), "rejected": _("已驳回")},
    "withdrawal": {"submitted": _("待付款"), "paid": _("已付款"), "rejected": _("已驳回")},
    "application": {"submitted": _("待审核"), "approved": _("已通过"), "rejected": _("已驳回")},
    "supplier": {
        "pending": _("待审核"),
        "approved": _("已通过"),
        "rejected": _("已驳回"),
        "suspended": _("已暂停"),
    },
    "mode": {"manual": _("手工上卡"), "api": _("API 对接")},
    "payment": {"pending": _("待支付"), "paid": _("已支付"), "refunded": _("已退款")},
    "refund": {"pending": _("退款中"), "succeeded": _("已退款"), "failed": _("退款失败")},
    "via": {"notify": _("异步通知"), "query": _("主动查询"), "operator": _("人工确认")},
    "account": {
        "agent_wallet": _("代理预存款"),
        "supplier_payable": _("应付供应商"),
        "escrow": _("担保托管"),
        "platform_revenue": _("平台收入"),
        "external": _("外部资金"),
        "withdrawals": _("待付提现"),
    },
    "journal": {
        "topup": _("代理充值"),
        "order_pay": _("订单付款入托管"),
        "order_settle": _("托管分账"),
        "order_refund": _("订单退款"),
        "supplier_payout": _("供应商结算"),
        "withdrawal_hold": _("提现冻结"),
        "withdrawal_paid": _("提现出款"),
        "withdrawal_returned": _("提现退回"),
        "adjustment": _("调整"),
    },
    "review": {
        "approved": _("通过"),
        "rejected": _("驳回"),
        "suspended": _("暂停"),
        "reinstated": _("恢复"),
    },
    "event": {
        "notify": _("异步通知"),
        "return": _("同步跳转"),
        "query": _("查询"),
        "refund": _("退款"),
        "operator": _("人工操作"),
    },
    "channel": {
        "storefront": _("店铺零售"),
        "api": _("开放 API"),
        "console": _("控制台"),
        "cli": _("命令行"),
        "agent": _("代理进货"),
    },
    "decision": {"allow": _("放行"), "review": _("人工审核"), "block": _("拦截")},
    "risk_action": {"score": _("计分"), "review": _("直接转人工审核"), "block": _("直接拦截")},
    "risk_label": {"fraud": _("欺诈"), "normal": _("正常"), "": _("未标注")},
    "outcome": {
        "paid": _("已入账"),
        "duplicate": _("重复通知"),
        "second_trade": _("重复支付，已退回"),
        "not_payable": _("订单无法支付，已退回"),
        "retry_later": _("订单状态变化中，稍后重试"),
        "forged": _("签名无效"),
        "wrong_money": _("金额不符"),
        "not_paid": _("交易未成功"),
        "unknown_order": _("未知订单"),
        "trade_no_taken": _("交易号已被占用"),
        "malformed": _("格式错误"),
        "too_large": _("内容过大"),
        "unconfigured": _("网关未配置"),
        "throttled": _("失败过多(此后不再记录)"),
        "seen": _("已查看"),
        "unpaid": _("未支付"),
        "unreachable": _("网关无法访问"),
        "refunded": _("已退款"),
        "refused": _("网关拒绝"),
        "confirmed": _("人工确认收款"),
        "retried": _("人工重试退款"),
    },
    # kameng.docking: Connection.Rounding, Discrepancy.Kind.
    "rounding": {
        "none": _("不取整"),
        "tenth": _("向上取整到 0.1 元"),
        "yuan": _("向上取整到 1 元"),
    },
    "discrepancy": {
        "not_delivered": _("本站已发货，上游未成功"),
        "delivered_upstream": _("本站已失败/退款，上游已成功"),
        "missing": _("上游无此订单"),
        "amount": _("金额不一致"),
    },
}

# badge--<tone> (kameng.css) per status value.
TONES = {
    "submitted": "wait",
    "pending": "wait",
    "approved": "done",
    "paid": "done",
    "succeeded": "done",
    "refunded": "closed",
    "rejected": "fail",
    "failed": "fail",
    "suspended": "dispute",
    "reinstated": "done",
}


@register.filter
def op_label(value: object, family: str) -> str:
    """The label of `value` in `family` (a key of LABELS)."""
    label = LABELS.get(family, {}).get(str(value))
    return str(label) if label is not None else str(value)


@register.filter
def op_tone(value: object) -> str:
    """The badge tone of a request, application, payment or refund status."""
    return TONES.get(str(value), "closed")


@register.filter
def masked(value: object) -> str:
    """A buyer's contact as the operator's lists show it: enough to tell buyers apart
    and match a complaint, not the whole address (13812345678 → 138****5678,
    alice@example.com → a***@example.com); "—" when empty."""
    text = str(value or "")
    if not text:
        return "—"
    if "@" in text:
        name, _at, domain = text.partition("@")
        return f"{name[:1]}***@{domain}"
    if len(text) >= 7:
        return f"{text[:3]}****{text[-4:]}"
    return text[:1] + "*" * (len(text) - 1)


@register.filter
def percent(value: object) -> str:
    """A rate (0–1 Decimal) as "12.5%"; None (nothing to count yet) as "—"."""
    if value is None or value == "":
        return "—"
    return f"{value * 100:.1f}%"


@register.filter
def price_rule(connection: object) -> str:
    """A docked site's price rule (kameng.docking.models.Connection) as the operator
    reads it: "+5% +0.50 元，向上取整到 0.1 元"."""
    percent = Decimal(str(connection.markup_percent))
    text = f"{percent:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return gettext("+%(percent)s +%(fixed)s 元，%(rounding)s") % {
        "percent": f"{text}%",
        "fixed": f"{to_money(connection.markup_fixed):.2f}",
        "rounding": op_label(connection.rounding, "rounding"),
    }
