"""The models of `supply` now live in `suppliers` and `stock`, on the same tables: drop
them from this app's state only. Runs after the new apps have them and after every
foreign key (topup) points at the new models."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('supply', '0007_chinese_labels'),
        ('suppliers', '0001_initial'),
        ('stock', '0001_initial'),
        ('topup', '0006_supplier_moved'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='card',
                    name='batch',
                ),
                migrations.RemoveField(
                    model_name='card',
                    name='order',
                ),
                migrations.RemoveField(
                    model_name='card',
                    name='sku',
                ),
                migrations.RemoveField(
                    model_name='card',
                    name='supplier',
                ),
                migrations.RemoveField(
                    model_name='cardbatch',
                    name='sku',
                ),
                migrations.RemoveField(
                    model_name='cardbatch',
                    name='supplier',
                ),
                migrations.RemoveField(
                    model_name='offer',
                    name='sku',
                ),
                migrations.RemoveField(
                    model_name='offer',
                    name='supplier',
                ),
                migrations.RemoveField(
                    model_name='supplier',
                    name='payable',
                ),
                migrations.RemoveField(
                    model_name='supplierapplication',
                    name='supplier',
                ),
                migrations.RemoveField(
                    model_name='supplierreview',
                    name='supplier',
                ),
                migrations.RemoveField(
                    model_name='supplierapplication',
                    name='goods',
                ),
                migrations.RemoveField(
                    model_name='supplierreview',
                    name='application',
                ),
                migrations.RemoveField(
                    model_name='supplierreview',
                    name='decided_by',
                ),
                migrations.DeleteModel(
                    name='ApplicationDocument',
                ),
                migrations.DeleteModel(
                    name='Card',
                ),
                migrations.DeleteModel(
                    name='CardBatch',
                ),
                migrations.DeleteModel(
                    name='Offer',
                ),
                migrations.DeleteModel(
                    name='Supplier',
                ),
                migrations.DeleteModel(
                    name='SupplierApplication',
                ),
                migrations.DeleteModel(
                    name='SupplierReview',
                ),
            ],
            database_operations=[],
        ),
    ]
