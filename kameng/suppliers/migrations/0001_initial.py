"""Supplier, Offer and the qualification review move here from `supply` (state only)."""

import django.db.models.deletion
import kameng.money
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('catalog', '0004_chinese_labels'),
        ('ledger', '0006_chinese_labels'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('supply', '0007_chinese_labels'),
    ]

    # State only: the tables exist (made by supply's migrations) and keep their names.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Supplier',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=128, unique=True, verbose_name='名称')),
                        ('mode', models.CharField(choices=[('manual', '手工上卡'), ('api', 'API 对接')], default='manual', max_length=8, verbose_name='供货方式')),
                        ('status', models.CharField(choices=[('pending', '待审核'), ('approved', '已通过'), ('rejected', '已驳回'), ('suspended', '已暂停')], default='pending', max_length=12, verbose_name='状态')),
                        ('adapter', models.CharField(blank=True, max_length=32, verbose_name='对接协议')),
                        ('api_base_url', models.URLField(blank=True, max_length=255, verbose_name='API 地址')),
                        ('merchant_id', models.CharField(blank=True, max_length=64, verbose_name='商户号')),
                        ('api_secret_encrypted', models.TextField(blank=True, verbose_name='API 密钥（加密）')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                        ('payable', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='supplier', to='ledger.account', verbose_name='应付账户')),
                    ],
                    options={
                        'verbose_name': '供应商',
                        'verbose_name_plural': '供应商',
                        'db_table': 'supply_supplier',
                    },
                ),
                migrations.CreateModel(
                    name='SupplierApplication',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('company_name', models.CharField(max_length=128, verbose_name='公司名称')),
                        ('licence_number', models.CharField(max_length=18, verbose_name='统一社会信用代码/营业执照号')),
                        ('contact_name', models.CharField(max_length=64, verbose_name='联系人')),
                        ('contact_phone', models.CharField(max_length=32, verbose_name='联系电话')),
                        ('contact_email', models.EmailField(max_length=254, verbose_name='联系邮箱')),
                        ('goods_note', models.TextField(blank=True, verbose_name='商品说明')),
                        ('status', models.CharField(choices=[('submitted', '待审核'), ('approved', '已通过'), ('rejected', '已驳回')], default='submitted', max_length=10, verbose_name='状态')),
                        ('submitted_at', models.DateTimeField(auto_now_add=True, verbose_name='提交时间')),
                        ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='审核时间')),
                        ('goods', models.ManyToManyField(blank=True, related_name='supplier_applications', to='catalog.product', verbose_name='授权经营的商品')),
                        ('supplier', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='application', to='suppliers.supplier', verbose_name='供应商')),
                    ],
                    options={
                        'verbose_name': '供应商入驻申请',
                        'verbose_name_plural': '供应商入驻申请',
                        'db_table': 'supply_supplierapplication',
                    },
                ),
                migrations.CreateModel(
                    name='ApplicationDocument',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('file', models.FileField(max_length=255, upload_to='supplier-docs/%Y/%m/', verbose_name='文件')),
                        ('original_name', models.CharField(max_length=255, verbose_name='原文件名')),
                        ('content_type', models.CharField(max_length=64, verbose_name='文件类型')),
                        ('size', models.PositiveIntegerField(verbose_name='大小 (字节)')),
                        ('sha256', models.CharField(max_length=64, verbose_name='SHA-256')),
                        ('uploaded_at', models.DateTimeField(auto_now_add=True, verbose_name='上传时间')),
                        ('application', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='documents', to='suppliers.supplierapplication', verbose_name='申请')),
                    ],
                    options={
                        'verbose_name': '资质文件',
                        'verbose_name_plural': '资质文件',
                        'db_table': 'supply_applicationdocument',
                    },
                ),
                migrations.CreateModel(
                    name='SupplierReview',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('decision', models.CharField(choices=[('approved', '通过'), ('rejected', '驳回'), ('suspended', '暂停'), ('reinstated', '恢复')], max_length=12, verbose_name='决定')),
                        ('reason', models.TextField(blank=True, verbose_name='理由')),
                        ('at', models.DateTimeField(verbose_name='时间')),
                        ('application', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reviews', to='suppliers.supplierapplication', verbose_name='申请')),
                        ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='审核人')),
                        ('supplier', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reviews', to='suppliers.supplier', verbose_name='供应商')),
                    ],
                    options={
                        'verbose_name': '审核记录',
                        'verbose_name_plural': '审核记录',
                        'db_table': 'supply_supplierreview',
                        'ordering': ['pk'],
                    },
                ),
                migrations.CreateModel(
                    name='Offer',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('cost', kameng.money.MoneyField(verbose_name='成本价')),
                        ('active', models.BooleanField(default=True, verbose_name='启用')),
                        ('remote_sku', models.CharField(blank=True, max_length=64, verbose_name='对方商品编码')),
                        ('remote_stock', models.IntegerField(blank=True, null=True, verbose_name='对方库存')),
                        ('remote_available', models.BooleanField(default=True, verbose_name='对方可售')),
                        ('refreshed_at', models.DateTimeField(blank=True, null=True, verbose_name='刷新时间')),
                        ('sku', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='offers', to='catalog.sku', verbose_name='商品规格')),
                        ('supplier', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='offers', to='suppliers.supplier', verbose_name='供应商')),
                    ],
                    options={
                        'verbose_name': '供货授权',
                        'verbose_name_plural': '供货授权',
                        'db_table': 'supply_offer',
                        'constraints': [models.UniqueConstraint(fields=('supplier', 'sku'), name='supply_offer_unique'), models.CheckConstraint(condition=models.Q(('cost__gt', 0)), name='supply_offer_cost_positive')],
                    },
                ),
                migrations.AddConstraint(
                    model_name='supplierapplication',
                    constraint=models.UniqueConstraint(condition=models.Q(('status__in', ['submitted', 'approved'])), fields=('licence_number',), name='supply_application_live_licence_unique'),
                ),
                migrations.AddConstraint(
                    model_name='supplierapplication',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'approved'), ('supplier__isnull', False)), models.Q(models.Q(('status', 'approved'), _negated=True), ('supplier__isnull', True)), _connector='OR'), name='supply_application_supplier_iff_approved'),
                ),
                migrations.AddConstraint(
                    model_name='supplierapplication',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('decided_at__isnull', True), ('status', 'submitted')), models.Q(models.Q(('status', 'submitted'), _negated=True), ('decided_at__isnull', False)), _connector='OR'), name='supply_application_decided_at_iff_decided'),
                ),
                migrations.AddConstraint(
                    model_name='applicationdocument',
                    constraint=models.UniqueConstraint(fields=('application', 'sha256'), name='supply_document_unique_per_application'),
                ),
                migrations.AddConstraint(
                    model_name='supplierreview',
                    constraint=models.CheckConstraint(condition=models.Q(('application__isnull', False), ('supplier__isnull', False), _connector='OR'), name='supply_review_has_subject'),
                ),
                migrations.AddConstraint(
                    model_name='supplierreview',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('decision__in', ['rejected', 'suspended']), _negated=True), models.Q(('reason', ''), _negated=True), _connector='OR'), name='supply_review_reason_when_refusing'),
                ),
            ],
            database_operations=[],
        ),
    ]
