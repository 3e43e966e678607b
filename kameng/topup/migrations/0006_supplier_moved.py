"""Attempt.supplier and Callback.supplier point at suppliers.Supplier: the same table
(supply_supplier), so the database keeps its columns and constraints as they are."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('suppliers', '0001_initial'),
        ('topup', '0005_chinese_labels'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='attempt',
                    name='supplier',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='attempts', to='suppliers.supplier', verbose_name='供应商'),
                ),
                migrations.AlterField(
                    model_name='callback',
                    name='supplier',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='callbacks', to='suppliers.supplier', verbose_name='供应商'),
                ),
    
            ],
            database_operations=[],
        ),
    ]
