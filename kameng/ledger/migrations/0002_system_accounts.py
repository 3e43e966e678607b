from django.db import migrations

SYSTEM_ACCOUNTS = [
    ("platform:escrow", "担保托管", "escrow", False),
    ("platform:revenue", "平台收入", "platform_revenue", False),
    ("external:funding", "外部入金", "external", True),
    ("external:payments", "支付渠道", "external", True),
]


def create(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    for code, name, kind, allow_negative in SYSTEM_ACCOUNTS:
        Account.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind, "allow_negative": allow_negative}
        )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
