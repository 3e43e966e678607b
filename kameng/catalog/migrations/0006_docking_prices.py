# Docking (kameng.docking): a SKU's list price and forwarded flag, and the quote
# version's time of change, set by its triggers from now on (all five tables).

import kameng.money
from django.db import migrations, models

from kameng.db import change_token_operation

TABLES = [
    "catalog_sku",
    "catalog_product",
    "agents_agent",
    "agents_agentlevel",
    "agents_agentprice",
]


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0005_quote_version'),
        ('agents', '0006_quote_version_triggers'),
    ]

    operations = [
        migrations.AddField(
            model_name='quoteversion',
            name='changed_at',
            field=models.FloatField(null=True, verbose_name='变更时间'),
        ),
        migrations.AddField(
            model_name='sku',
            name='forwarded',
            field=models.BooleanField(default=False, verbose_name='上游代发'),
        ),
        migrations.AddField(
            model_name='sku',
            name='list_price',
            field=kameng.money.MoneyField(blank=True, null=True, verbose_name='标价'),
        ),
        migrations.AddConstraint(
            model_name='sku',
            constraint=models.CheckConstraint(condition=models.Q(('list_price__isnull', True), ('list_price__gt', 0), _connector='OR'), name='catalog_sku_list_price_positive'),
        ),
        migrations.AddConstraint(
            model_name='sku',
            constraint=models.CheckConstraint(condition=models.Q(('forwarded', False), ('kind', 'card'), _connector='OR'), name='catalog_sku_forwarded_card'),
        ),
        change_token_operation(TABLES, "catalog_quoteversion", stamped=True),
    ]
