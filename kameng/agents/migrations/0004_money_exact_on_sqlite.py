# Money columns exact on SQLite (integer cents); PostgreSQL unchanged.

import kameng.money
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('agents', '0003_apikey'),
    ]

    operations = [
        migrations.AlterField(
            model_name='agentprice',
            name='retail_price',
            field=kameng.money.MoneyField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='agentprice',
            name='sub_agent_price',
            field=kameng.money.MoneyField(blank=True, null=True),
        ),
        kameng.money.cents_on_sqlite('agents_agentprice', 'sub_agent_price', 'retail_price'),
    ]
