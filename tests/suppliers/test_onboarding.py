"""Supplier onboarding (资质审核): apply, approve / reject, suspend / reinstate; every
decision recorded; only approved suppliers' stock sells."""

import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from kameng import vault
from kameng.catalog.errors import OutOfStock
from kameng.errors import InvalidInput, ReasonRequired
from kameng.orders import services as orders
from kameng.suppliers import onboarding, reviews
from kameng.suppliers.errors import ApplicationExists, IllegalDecision, SupplierNameTaken
from kameng.suppliers.models import (
    ApplicationDocument,
    Supplier,
    SupplierApplication,
    SupplierReview,
)
from kameng.suppliers.onboarding import normalise_licence, uscc_check_character
from kameng.suppliers.services import get_supplier
from kameng.upstream.errors import ApiSettingsIncomplete
from tests import factories
from tests.concurrency import race

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def _history() -> list[tuple]:
    return list(
        SupplierReview.objects.order_by("pk").values_list(
            "decision", "reason", "application_id", "supplier__name"
        )
    )


# --- submitting -----------------------------------------------------------------------


def test_an_application_is_stored_with_its_goods_and_documents(media):
    product = factories.catalog.create_product("话费", "移动话费")
    application = factories.application(
        company_name="  华夏卡业有限公司 ",
        licence_number="91350100m000100y43",  # lower case and spaces are normalised
        product_ids=[product.pk, product.pk],
        goods_note="移动、联通话费直充",
        documents=[
            factories.document("营业执照.pdf"),
            factories.document("授权书.PNG", factories.PNG_BYTES),
            factories.document("法人身份证.jpeg", factories.JPEG_BYTES),
        ],
    )
    application.refresh_from_db()
    assert application.company_name == "华夏卡业有限公司"
    assert application.licence_number == "91350100M000100Y43"
    assert application.status == "submitted"
    assert application.supplier is None and application.decided_at is None
    assert list(application.goods.all()) == [product]
    docs = list(application.documents.order_by("pk"))
    assert [(d.original_name, d.content_type, d.size) for d in docs] == [
        ("营业执照.pdf", "application/pdf", len(factories.PDF_BYTES)),
        ("授权书.PNG", "image/png", len(factories.PNG_BYTES)),
        ("法人身份证.jpeg", "image/jpeg", len(factories.JPEG_BYTES)),
    ]
    assert docs[0].sha256 == hashlib.sha256(factories.PDF_BYTES).hexdigest()
    # Stored under supplier-docs/YYYY/MM/ with a random name and the canonical extension.
    names = [d.file.name for d in docs]
    assert all(n.startswith("supplier-docs/") for n in names)
    assert [Path(n).suffix for n in names] == [".pdf", ".png", ".jpg"]
    assert not any("营业执照" in n for n in names)
    assert (media / names[1]).read_bytes() == factories.PNG_BYTES
    assert SupplierReview.objects.count() == 0


def test_old_fifteen_digit_licence_numbers_are_accepted():
    application = factories.application(licence_number="110108012345678")
    assert application.licence_number == "110108012345678"


def test_the_check_character_follows_gb_32100():
    assert uscc_check_character("91350100M000100Y4") == "3"
    assert normalise_licence("91350100M000100Y43") == "91350100M000100Y43"


def _big_pdf() -> bytes:
    return b"%PDF-1.7\n" + bytes(10 * MB - 8)


BAD_INPUT = {
    "licence too short": ({"licence_number": "9135010"}, "18-character"),
    "licence with I": ({"licence_number": "91350100I000100Y43"}, "found 'I'"),
    "licence typo": ({"licence_number": "91350100M000100Y44"}, "check character"),
    "licence sixteen digits": ({"licence_number": "1101080123456789"}, "18-character"),
    "no documents": ({"documents": []}, "at least one"),
    "fake pdf": (
        {"documents": [factories.document("营业执照.pdf", b"MZ\x90\x00 not a pdf")]},
        "not a PDF, JPEG or PNG",
    ),
    "png named pdf": (
        {"documents": [factories.document("scan.pdf", factories.PNG_BYTES)]},
        "content is image/png",
    ),
    "exe": ({"documents": [factories.document("licence.exe", b"%PDF-")]}, "only PDF"),
    "empty file": ({"documents": [factories.document("empty.pdf", b"")]}, "empty"),
    "too large": ({"documents": [factories.document("big.pdf", _big_pdf())]}, "10 MB"),
    "same document twice": (
        {"documents": [factories.document("a.pdf"), factories.document("b.pdf")]},
        "twice",
    ),
    "bad email": ({"contact_email": "not-an-email"}, "email"),
    "bad phone": ({"contact_phone": "call me"}, "phone"),
    "no company": ({"company_name": "  "}, "company name"),
    "no goods": ({"product_ids": [], "goods_note": ""}, "goods"),
    "unknown product": ({"product_ids": [999999]}, "no product with id 999999"),
}


@pytest.mark.parametrize("overrides, message", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_is_refused_with_a_clear_message_and_nothing_is_stored(media, overrides, message):
    with pytest.raises(InvalidInput) as caught:
        factories.application(**overrides)
    assert message in caught.value.message
    assert caught.value.code == "invalid_input"
    assert SupplierApplication.objects.count() == 0
    assert ApplicationDocument.objects.count() == 0
    assert _stored_files(media) == []


def test_a_document_of_exactly_ten_megabytes_is_accepted():
    data = b"%PDF-1.7\n" + bytes(10 * MB - 9)
    application = factories.application(documents=[factories.document("big.pdf", data)])
    assert application.documents.get().size == 10 * MB


def test_a_failure_while_storing_removes_the_files_already_written(media, monkeypatch):
    calls = []
    original = ApplicationDocument.save

    def failing_save(self, *args, **kwargs):
        calls.append(self.original_name)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ApplicationDocument, "save", failing_save)
    docs = [factories.document("a.pdf"), factories.document("b.png", factories.PNG_BYTES)]
    with pytest.raises(RuntimeError):
        factories.application(documents=docs)
    assert SupplierApplication.objects.count() == 0
    assert ApplicationDocument.objects.count() == 0
    assert _stored_files(media) == []


def test_one_live_application_per_licence_but_a_rejected_one_may_apply_again():
    licence = factories.licence_number()
    first = factories.application(licence_number=licence)
    with pytest.raises(ApplicationExists) as caught:
        factories.application(licence_number=licence)
    assert caught.value.code == "application_exists"
    onboarding.reject_application(first, reason="营业执照已过期")
    second = factories.application(licence_number=licence)
    assert second.status == "submitted"
    onboarding.approve_application(second)
    with pytest.raises(ApplicationExists):
        factories.application(licence_number=licence)


# --- deciding -------------------------------------------------------------------------


def test_approving_creates_an_approved_supplier_and_records_the_decision(
    django_user_model,
):
    operator = django_user_model.objects.create_user("reviewer", password="x")
    application = factories.application(company_name="星河数卡有限公司")
    supplier = onboarding.approve_application(application, operator=operator, reason="资料齐全")
    assert supplier.name == "星河数卡有限公司"
    assert supplier.status == Supplier.Status.APPROVED
    assert supplier.payable.code == "supplier:星河数卡有限公司"
    assert supplier.payable.balance == Decimal("0.00")
    application.refresh_from_db()
    assert application.status == "approved"
    assert application.supplier == supplier
    assert application.decided_at is not None
    review = SupplierReview.objects.get()
    assert (review.decision, review.reason, review.decided_by) == ("approved", "资料齐全", operator)
    assert (review.application, review.supplier) == (application, supplier)
    assert review.at == application.decided_at


@pytest.mark.parametrize("reason", ["", "   "])
def test_rejecting_needs_a_reason_and_changes_nothing_without_one(reason):
    application = factories.application()
    with pytest.raises(ReasonRequired) as caught:
        onboarding.reject_application(application, reason=reason)
    assert caught.value.code == "reason_required"
    application.refresh_from_db()
    assert application.status == "submitted" and application.decided_at is None
    assert SupplierReview.objects.count() == 0


def test_rejecting_records_the_reason_and_is_final():
    application = factories.application()
    onboarding.reject_application(application, reason="  营业执照与公司名称不符 ")
    application.refresh_from_db()
    assert application.status == "rejected" and application.supplier is None
    assert _history() == [("rejected", "营业执照与公司名称不符", application.pk, None)]
    with pytest.raises(IllegalDecision):
        onboarding.approve_application(application)
    with pytest.raises(IllegalDecision):
        onboarding.reject_application(application, reason="again")
    assert Supplier.objects.count() == 0
    assert SupplierReview.objects.count() == 1


def test_a_taken_supplier_name_is_a_clear_conflict_and_changes_nothing():
    factories.supplier("重名科技")
    application = factories.application(company_name="重名科技")
    with pytest.raises(SupplierNameTaken) as caught:
        onboarding.approve_application(application)
    assert caught.value.code == "supplier_name_taken"
    application.refresh_from_db()
    assert application.status == "submitted"
    assert Supplier.objects.count() == 1
    assert SupplierReview.objects.count() == 0


def test_approving_twice_makes_one_supplier():
    application = factories.application()
    stale = SupplierApplication.objects.get(pk=application.pk)  # a second operator's page
    onboarding.approve_application(application)
    with pytest.raises(IllegalDecision) as caught:
        onboarding.approve_application(stale)
    assert caught.value.code == "illegal_decision"
    assert Supplier.objects.count() == 1
    assert SupplierReview.objects.count() == 1


def test_supplier_decisions_follow_the_state_machine():
    pending = factories.supplier("待审供应商", status=Supplier.Status.PENDING)
    with pytest.raises(IllegalDecision):
        onboarding.suspend_supplier(pending, reason="x")
    with pytest.raises(IllegalDecision):
        onboarding.reinstate_supplier(pending)
    onboarding.approve_supplier(pending)
    with pytest.raises(IllegalDecision):
        onboarding.approve_supplier(pending)
    other = factories.supplier("驳回供应商", status=Supplier.Status.PENDING)
    with pytest.raises(ReasonRequired):
        onboarding.reject_supplier(other, reason="")
    onboarding.reject_supplier(other, reason="资质不全")
    for decide in (onboarding.approve_supplier, onboarding.reinstate_supplier):
        with pytest.raises(IllegalDecision):
            decide(other)
    assert get_supplier("驳回供应商").status == "rejected"
    assert _history() == [
        ("approved", "", None, "待审供应商"),
        ("rejected", "资质不全", None, "驳回供应商"),
    ]


def test_the_transition_tables_cover_every_status():
    assert set(reviews.APPLICATION_TRANSITIONS) == set(SupplierApplication.Status.values)
    assert set(reviews.SUPPLIER_TRANSITIONS) == set(Supplier.Status.values)
    moves = {(a, b) for a, targets in reviews.SUPPLIER_TRANSITIONS.items() for b in targets}
    assert moves == set(reviews.SUPPLIER_DECISIONS)
    assert list(reviews.SELLING) == [Supplier.Status.APPROVED]


# --- only approved suppliers sell -----------------------------------------------------


def _buy(world, sku, no: str):
    return orders.place_order(agent=world.a3, sku_id=sku.pk, quantity=1, out_trade_no=no)


def test_a_suspended_suppliers_stock_stops_selling_and_sells_again_when_reinstated(world):
    assert _buy(world, world.sku, "s-1").created
    with pytest.raises(ReasonRequired):
        onboarding.suspend_supplier(world.supplier, reason="")
    onboarding.suspend_supplier(world.supplier, reason="投诉较多, 暂停核查")
    wallet = factories.wallet(world.a3)
    with pytest.raises(OutOfStock) as caught:
        _buy(world, world.sku, "s-2")
    assert caught.value.code == "out_of_stock"
    assert factories.wallet(world.a3) == wallet  # nothing charged
    onboarding.reinstate_supplier(world.supplier, reason="核查完毕")
    assert _buy(world, world.sku, "s-3").created
    assert _history() == [
        ("suspended", "投诉较多, 暂停核查", None, world.supplier.name),
        ("reinstated", "核查完毕", None, world.supplier.name),
    ]


def test_an_applicant_sells_only_once_approved_and_every_decision_is_recorded_in_order(world):
    application = factories.application(company_name="新入驻供应商")
    supplier = onboarding.approve_application(application)
    item = factories.sku("50.00")
    factories.stock(item, supplier, 2, cost="45.00")
    assert _buy(world, item, "n-1").created
    onboarding.suspend_supplier(supplier, reason="证照年检未过")
    with pytest.raises(OutOfStock):
        _buy(world, item, "n-2")
    onboarding.reinstate_supplier(supplier)
    assert _buy(world, item, "n-3").created
    assert _history() == [
        ("approved", "", application.pk, "新入驻供应商"),
        ("suspended", "证照年检未过", application.pk, "新入驻供应商"),
        ("reinstated", "", application.pk, "新入驻供应商"),
    ]


# --- command line ---------------------------------------------------------------------


def _json(capsys) -> object:
    return json.loads(capsys.readouterr().out)


def test_the_review_workflow_from_the_command_line(tmp_path, capsys, media):
    product = factories.catalog.create_product("游戏点卡", "王者荣耀点券")
    licence_pdf = tmp_path / "营业执照.pdf"
    licence_pdf.write_bytes(factories.PDF_BYTES)
    photo = tmp_path / "门店.jpg"
    photo.write_bytes(factories.JPEG_BYTES)
    licence = factories.licence_number()
    call_command(
        "supplier_apply",
        "--company=命令行供应商",
        f"--licence={licence}",
        "--contact-name=李四",
        "--contact-phone=021-5555 1234",
        "--email=li@example.com",
        f"--product={product.pk}",
        "--goods-note=点券",
        f"--document={licence_pdf}",
        f"--document={photo}",
    )
    applied = _json(capsys)
    app_id = applied["id"]
    assert applied["status"] == "submitted"
    assert applied["licence_number"] == licence
    assert applied["goods"] == [{"id": product.pk, "name": "王者荣耀点券"}]
    assert [d["name"] for d in applied["documents"]] == ["营业执照.pdf", "门店.jpg"]

    call_command("supplier_applications")
    assert [a["id"] for a in _json(capsys)] == [app_id]

    with pytest.raises(CommandError, match="reason_required"):
        call_command("supplier_review", str(app_id), "--reject")
    call_command("supplier_review", str(app_id), "--approve")
    decided = _json(capsys)
    assert (decided["status"], decided["supplier"]) == ("approved", "命令行供应商")
    call_command("supplier_applications")
    assert _json(capsys) == []

    with pytest.raises(CommandError, match="reason_required"):
        call_command("supplier_suspend", "命令行供应商", "--reason=")
    call_command("supplier_suspend", "命令行供应商", "--reason=抽检不合格")
    assert _json(capsys) == {"supplier": "命令行供应商", "status": "suspended"}
    call_command("supplier_reinstate", "命令行供应商")
    assert _json(capsys) == {"supplier": "命令行供应商", "status": "approved"}
    assert [d for d, *_ in _history()] == ["approved", "suspended", "reinstated"]

    with pytest.raises(CommandError, match="illegal_decision"):
        call_command("supplier_review", str(app_id), "--reject", "--reason=too late")
    with pytest.raises(CommandError, match="application_not_found"):
        call_command("supplier_review", "999999", "--approve")
    with pytest.raises(CommandError, match="supplier_not_found"):
        call_command("supplier_suspend", "nobody", "--reason=x")


def test_a_bad_document_from_the_command_line_stores_nothing(tmp_path, media):
    def apply_with(document) -> None:
        call_command(
            "supplier_apply",
            "--company=假文件公司",
            f"--licence={factories.licence_number()}",
            "--contact-name=王五",
            "--contact-phone=13900000000",
            "--email=w@example.com",
            "--goods-note=话费",
            f"--document={document}",
        )

    fake = tmp_path / "licence.pdf"
    fake.write_bytes(b"<html>not a pdf</html>")
    with pytest.raises(CommandError, match=r"invalid_input: licence\.pdf: the content is not"):
        apply_with(fake)
    with pytest.raises(CommandError, match="no such file"):
        apply_with(tmp_path / "missing.pdf")
    assert SupplierApplication.objects.count() == 0
    assert _stored_files(media) == []


# --- admin ----------------------------------------------------------------------------


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_superuser("op", "op@example.com", "pw")


@pytest.fixture
def admin_client(client, operator):
    client.force_login(operator)
    return client


def _action(client, model: str, action: str, ids: list[int], reason: str = ""):
    url = reverse(f"admin:suppliers_{model}_changelist")
    data = {"action": action, "_selected_action": [str(i) for i in ids], "reason": reason}
    return client.post(url, data, follow=True)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_admin_lists_and_shows_an_application_with_its_documents(admin_client):
    application = factories.application(
        documents=[
            factories.document("执照.pdf"),
            factories.document("授权.png", factories.PNG_BYTES),
        ]
    )
    listing = admin_client.get(
        reverse("admin:suppliers_supplierapplication_changelist") + "?status__exact=submitted"
    )
    assert listing.status_code == 200
    assert application.company_name in listing.content.decode()
    page = admin_client.get(
        reverse("admin:suppliers_supplierapplication_change", args=[application.pk])
    )
    body = page.content.decode()
    assert page.status_code == 200
    assert application.licence_number in body and "执照.pdf" in body
    assert 'name="_save"' not in body  # read-only: decisions are the actions
    doc = application.documents.get(original_name="授权.png")
    url = reverse("admin:suppliers_supplierapplication_document", args=[application.pk, doc.pk])
    assert url in body
    download = admin_client.get(url)
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert b"".join(download.streaming_content) == factories.PNG_BYTES
    # A document is reachable only under its own application.
    other = factories.application()
    wrong = reverse("admin:suppliers_supplierapplication_document", args=[other.pk, doc.pk])
    assert admin_client.get(wrong).status_code == 404
    assert admin_client.get(reverse("admin:suppliers_supplierapplication_add")).status_code == 403


def test_documents_are_not_served_to_anonymous_visitors(client):
    application = factories.application()
    doc = application.documents.get()
    url = reverse("admin:suppliers_supplierapplication_document", args=[application.pk, doc.pk])
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_admin_approve_and_reject_go_through_the_services(admin_client, operator):
    first, second = factories.application(), factories.application()
    response = _action(admin_client, "supplierapplication", "reject", [second.pk])
    assert "驳回必须填写理由" in _messages(response)
    second.refresh_from_db()
    assert second.status == "submitted"

    _action(admin_client, "supplierapplication", "approve", [first.pk])
    _action(admin_client, "supplierapplication", "reject", [second.pk], reason="执照模糊")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "approved" and first.supplier.status == "approved"
    assert second.status == "rejected"
    reviews_ = list(SupplierReview.objects.order_by("pk"))
    assert [(r.decision, r.reason, r.decided_by) for r in reviews_] == [
        ("approved", "", operator),
        ("rejected", "执照模糊", operator),
    ]
    # Approving again is refused with the reason shown, and changes nothing.
    response = _action(admin_client, "supplierapplication", "approve", [first.pk])
    assert any("illegal_decision" in m for m in _messages(response))
    assert Supplier.objects.count() == 1
    page = admin_client.get(reverse("admin:suppliers_supplierapplication_change", args=[second.pk]))
    assert "执照模糊" in page.content.decode()
    assert admin_client.get(reverse("admin:suppliers_supplierreview_changelist")).status_code == 200


def test_admin_suspend_needs_a_reason_and_approve_reinstates(admin_client, operator, world):
    supplier = world.supplier
    response = _action(admin_client, "supplier", "suspend", [supplier.pk])
    assert "暂停供货必须填写理由" in _messages(response)
    assert get_supplier(supplier.name).status == "approved"
    _action(admin_client, "supplier", "suspend", [supplier.pk], reason="对账异常")
    assert get_supplier(supplier.name).status == "suspended"
    _action(admin_client, "supplier", "approve", [supplier.pk])
    assert get_supplier(supplier.name).status == "approved"
    pending = factories.supplier("手工登记", status=Supplier.Status.PENDING)
    _action(admin_client, "supplier", "reject", [pending.pk], reason="无资质")
    assert get_supplier("手工登记").status == "rejected"
    assert [
        (r.decision, r.reason, r.decided_by, r.supplier_id)
        for r in SupplierReview.objects.order_by("pk")
    ] == [
        ("suspended", "对账异常", operator, supplier.pk),
        ("reinstated", "", operator, supplier.pk),
        ("rejected", "无资质", operator, pending.pk),
    ]


def test_admin_edits_api_settings_and_never_shows_the_secret(admin_client):
    supplier = factories.supplier("接口供应商")
    url = reverse("admin:suppliers_supplier_change", args=[supplier.pk])
    form = admin_client.get(url).content.decode()
    assert 'value="kameng-http"' in form  # the adapter select lists the registry
    data = {
        "name": "接口供应商",
        "mode": "api",
        "adapter": "kameng-http",
        "api_base_url": "https://upstream.example.com/api",
        "merchant_id": "M1001",
        "api_secret": "s3cr3t-KEY-value",
    }
    assert admin_client.post(url, data).status_code == 302
    supplier.refresh_from_db()
    assert (supplier.mode, supplier.adapter, supplier.merchant_id) == (
        "api",
        "kameng-http",
        "M1001",
    )
    assert supplier.status == "approved"  # the form never writes the status
    assert vault.decrypt(supplier.api_secret_encrypted) == "s3cr3t-KEY-value"
    page = admin_client.get(url).content.decode()
    assert "s3cr3t-KEY-value" not in page and supplier.api_secret_encrypted not in page
    assert "已设置" in page
    # Leaving the secret blank keeps the old one.
    ciphertext = supplier.api_secret_encrypted
    assert (
        admin_client.post(url, {**data, "api_secret": "", "merchant_id": "M1002"}).status_code
        == 302
    )
    supplier.refresh_from_db()
    assert supplier.merchant_id == "M1002" and supplier.api_secret_encrypted == ciphertext
    # An adapter without the credentials it needs is refused.
    bare = factories.supplier("缺密钥")
    response = admin_client.post(
        reverse("admin:suppliers_supplier_change", args=[bare.pk]),
        {**data, "name": "缺密钥", "api_secret": ""},
    )
    assert response.status_code == 200 and ApiSettingsIncomplete.title in response.content.decode()


def test_admin_adds_a_supplier_through_the_service(admin_client):
    response = admin_client.post(
        reverse("admin:suppliers_supplier_add"),
        {
            "name": "后台新增",
            "mode": "manual",
            "adapter": "",
            "api_base_url": "",
            "merchant_id": "",
        },
    )
    assert response.status_code == 302
    supplier = get_supplier("后台新增")
    assert supplier.status == "pending" and supplier.payable.code == "supplier:后台新增"


def test_admin_adds_an_api_supplier_through_configure_api(admin_client):
    data = {
        "name": "新接口",
        "mode": "api",
        "adapter": "kameng-http",
        "api_base_url": "https://upstream.example.com/api/",
        "merchant_id": "M9",
        "api_secret": "",
    }
    refused = admin_client.post(reverse("admin:suppliers_supplier_add"), data)
    assert refused.status_code == 200 and ApiSettingsIncomplete.title in refused.content.decode()
    assert not Supplier.objects.filter(name="新接口").exists()
    assert (
        admin_client.post(
            reverse("admin:suppliers_supplier_add"), {**data, "api_secret": "k"}
        ).status_code
        == 302
    )
    supplier = get_supplier("新接口")
    assert (supplier.mode, supplier.api_base_url, supplier.status) == (
        "api",
        "https://upstream.example.com/api",  # as configure_api stores it
        "pending",
    )
    assert vault.decrypt(supplier.api_secret_encrypted) == "k"


# --- PostgreSQL: two operators at the same instant ------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_operators_approving_at_once_make_one_supplier(settings, tmp_path):
    application = factories.application()
    n = 8

    def approve(i: int):
        mine = SupplierApplication.objects.get(pk=application.pk)
        return onboarding.approve_application(mine, reason=f"op{i}")

    results = race(n, approve)
    approved = [r for r in results if isinstance(r, Supplier)]
    refused = [r for r in results if isinstance(r, IllegalDecision)]
    assert len(approved) == 1 and len(refused) == n - 1, results
    assert Supplier.objects.count() == 1
    assert SupplierReview.objects.count() == 1
