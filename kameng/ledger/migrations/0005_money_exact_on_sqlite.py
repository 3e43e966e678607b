# Money columns exact on SQLite (integer cents); PostgreSQL unchanged.

import kameng.money
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0004_supplier_payouts'),
    ]

    operations = [
        migrations.AlterField(
            model_name='account',
            name='balance',
            field=kameng.money.MoneyField(default=0, max_digits=18),
        ),
        migrations.AlterField(
            model_name='entry',
            name='amount',
            field=kameng.money.MoneyField(max_digits=18),
        ),
        kameng.money.cents_on_sqlite('ledger_account', 'balance'),
        kameng.money.cents_on_sqlite('ledger_entry', 'amount'),
    ]
