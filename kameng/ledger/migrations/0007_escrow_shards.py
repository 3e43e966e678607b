"""Escrow in ESCROW_SHARDS accounts: the first is the existing platform:escrow (orders
paid before this migration settle from it), the others are new and empty."""

from django.db import migrations

SHARDS = 8  # kameng.ledger.services.ESCROW_SHARDS when this migration was written


def create(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    for shard in range(1, SHARDS):
        Account.objects.get_or_create(
            code=f"platform:escrow:{shard}",
            defaults={"name": f"担保托管 {shard}", "kind": "escrow", "allow_negative": False},
        )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0006_chinese_labels")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
