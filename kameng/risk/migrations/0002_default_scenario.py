"""Version 1 of the rules, active: the default scenario (kameng.risk.rules.DEFAULT_RULES
as it was when this migration was written; frozen here so later changes to the defaults
do not rewrite history)."""

from django.db import migrations

REVIEW_THRESHOLD = 60
BLOCK_THRESHOLD = 120
RULES = [
    ('ip_orders_10m', 'velocity', {'per': 'ip', 'window': 600, 'threshold': 20, 'channels': ['storefront']}, 40, 'score', '同一 IP 10 分钟内下单过多'),
    ('ip_orders_1h', 'velocity', {'per': 'ip', 'window': 3600, 'threshold': 60, 'channels': ['storefront']}, 40, 'score', '同一 IP 1 小时内下单过多'),
    ('ip_flood', 'velocity', {'per': 'ip', 'window': 3600, 'threshold': 150, 'channels': ['storefront']}, 0, 'block', '同一 IP 1 小时内下单数百单'),
    ('ip_devices_10m', 'distinct', {'per': 'ip', 'of': 'device', 'window': 600, 'threshold': 12, 'channels': ['storefront']}, 60, 'score', '同一 IP 10 分钟内出现大量不同设备（不保留 Cookie 的脚本）'),
    ('device_orders_1h', 'velocity', {'per': 'device', 'window': 3600, 'threshold': 5}, 30, 'score', '同一设备 1 小时内下单过多'),
    ('device_orders_6h', 'velocity', {'per': 'device', 'window': 21600, 'threshold': 8}, 30, 'score', '同一设备 6 小时内下单过多'),
    ('contact_orders_1h', 'velocity', {'per': 'contact', 'window': 3600, 'threshold': 4}, 60, 'score', '同一联系方式 1 小时内下单过多'),
    ('contact_orders_6h', 'velocity', {'per': 'contact', 'window': 21600, 'threshold': 8}, 30, 'score', '同一联系方式 6 小时内下单过多'),
    ('account_orders_1h', 'velocity', {'per': 'account', 'window': 3600, 'threshold': 6}, 30, 'score', '同一充值账号 1 小时内充值过多'),
    ('contact_accounts_1h', 'distinct', {'per': 'contact', 'of': 'account', 'window': 3600, 'threshold': 3}, 60, 'score', '同一联系方式 1 小时内为 3 个以上充值账号下单'),
    ('contact_accounts_24h', 'distinct', {'per': 'contact', 'of': 'account', 'window': 86400, 'threshold': 4}, 60, 'score', '同一联系方式 24 小时内为多个充值账号下单'),
    ('device_accounts_24h', 'distinct', {'per': 'device', 'of': 'account', 'window': 86400, 'threshold': 6}, 30, 'score', '同一设备 24 小时内为多个充值账号下单'),
    ('amount_vs_contact', 'amount_profile', {'of': 'contact', 'ratio': 5.0, 'min_history': 3, 'min_amount': 100.0}, 30, 'score', '金额远高于该买家平时的金额'),
    ('amount_vs_seller', 'amount_profile', {'of': 'seller', 'ratio': 8.0, 'min_history': 50, 'min_amount': 200.0}, 10, 'score', '金额远高于该代理平时的订单金额'),
    ('fresh_amount', 'fresh_amount', {'ratio': 10.0, 'min_history': 50, 'min_amount': 1500.0}, 40, 'score', '新联系方式下大额订单'),
    ('new_contacts_ip_10m', 'new_contacts', {'per': 'ip', 'window': 600, 'threshold': 6}, 30, 'score', '同一 IP 10 分钟内出现多个新联系方式'),
    ('new_contacts_device_1h', 'new_contacts', {'per': 'device', 'window': 3600, 'threshold': 3}, 60, 'score', '同一设备 1 小时内出现多个新联系方式'),
    ('coupon_fresh_ip_1h', 'coupon_new_contacts', {'per': 'ip', 'window': 3600, 'threshold': 3}, 60, 'score', '同一 IP 1 小时内多个新联系方式使用优惠券'),
    ('coupon_fresh_device_24h', 'coupon_new_contacts', {'per': 'device', 'window': 86400, 'threshold': 2}, 60, 'score', '同一设备 24 小时内多个新联系方式使用优惠券'),
    ('failed_payments_ip_1h', 'failed_payments', {'per': 'ip', 'window': 3600, 'threshold': 3}, 30, 'score', '同一 IP 1 小时内多次支付失败'),
    ('failed_payments_device_1h', 'failed_payments', {'per': 'device', 'window': 3600, 'threshold': 3}, 60, 'score', '同一设备 1 小时内多次支付失败'),
    ('seller_burst', 'seller_pattern', {'ratio': 12.0, 'min_orders': 6, 'min_history': 30, 'channels': ['storefront']}, 60, 'score', '代理 10 分钟订单数远超平时'),
]


def create(apps, schema_editor) -> None:
    Scenario = apps.get_model("risk", "Scenario")
    Rule = apps.get_model("risk", "Rule")
    if Scenario.objects.exists():
        return
    scenario = Scenario.objects.create(
        version=1,
        active=True,
        review_threshold=REVIEW_THRESHOLD,
        block_threshold=BLOCK_THRESHOLD,
        note="默认规则",
        created_by="system",
    )
    for position, (code, kind, params, weight, action, label) in enumerate(RULES):
        Rule.objects.create(
            scenario=scenario,
            code=code,
            kind=kind,
            params=params,
            weight=weight,
            action=action,
            active=True,
            label=label,
            position=position,
        )


def remove(apps, schema_editor) -> None:
    apps.get_model("risk", "Scenario").objects.filter(version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("risk", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
