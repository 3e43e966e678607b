"""资质审核 in the supplier console: an applicant submits its company and documents,
sees the decision and its reason, applies again after a rejection, and downloads only
its own documents."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kameng.catalog import services as catalog
from kameng.suppliers import onboarding
from kameng.suppliers.models import (
    ApplicationDocument,
    SupplierAccount,
    SupplierApplication,
)
from tests import factories
from tests.console.conftest import log_in

pytestmark = pytest.mark.django_db

URL = "/console/s/application/"


@pytest.fixture
def product():
    return catalog.create_product("游戏点卡", "腾讯Q币")


def _form(product, **overrides) -> dict:
    data = {
        "company_name": "上游数码科技有限公司",
        "licence_number": factories.licence_number(),
        "contact_name": "李四",
        "contact_phone": "13900139000",
        "contact_email": "ops@example.com",
        "goods": [product.pk],
        "goods_note": "Q币 10/50/100 元",
        "documents": [SimpleUploadedFile("营业执照.pdf", factories.PDF_BYTES)],
    }
    data.update(overrides)
    return data


def _account(person) -> SupplierAccount:
    return SupplierAccount.objects.get(user=person.user)


def test_an_applicant_is_told_what_to_do_first(client, applicant):
    log_in(client, applicant)
    home = client.get("/console/s/").content.decode()
    assert "资质审核尚未通过" in home and f'href="{URL}"' in home
    # Its menu holds only the pages it may open.
    assert "/console/s/batches/" not in home
    page = client.get(URL)
    assert page.status_code == 200
    assert 'name="company_name"' in page.content.decode()


def test_an_applicant_submits_with_a_document_and_sees_it_waiting(client, applicant, product):
    log_in(client, applicant)
    form = _form(product)
    response = client.post(URL, form)
    assert response.status_code == 302 and response["Location"] == URL

    application = SupplierApplication.objects.get(applicant=applicant.user)
    assert application.status == "submitted"
    assert application.company_name == "上游数码科技有限公司"
    assert list(application.goods.all()) == [product]
    assert _account(applicant).application == application
    document = application.documents.get()
    assert (document.original_name, document.content_type) == ("营业执照.pdf", "application/pdf")

    page = client.get(URL).content.decode()
    assert "申请已提交" in page and "待审核" in page and "营业执照.pdf" in page
    assert 'name="company_name"' not in page  # no second application while one waits
    assert "平台正在审核资质" in client.get("/console/s/").content.decode()

    download = client.get(f"/console/s/application/documents/{document.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == factories.PDF_BYTES
    assert download["X-Content-Type-Options"] == "nosniff"


def test_a_second_submission_while_one_waits_changes_nothing(client, applicant, product):
    log_in(client, applicant)
    client.post(URL, _form(product))
    response = client.post(URL, _form(product))
    assert response.status_code == 302
    assert SupplierApplication.objects.filter(applicant=applicant.user).count() == 1


@pytest.mark.parametrize(
    ("upload", "said"),
    [
        (SimpleUploadedFile("run.exe", b"MZ\x90\x00"), "只接受 PDF、PNG 或 JPG"),
        (SimpleUploadedFile("执照.pdf", factories.PNG_BYTES), "与扩展名不符"),
        (SimpleUploadedFile("大.pdf", b"%PDF-1.4\n" + bytes(5 * 1024 * 1024)), "超过 5 MB"),
        (SimpleUploadedFile("空.png", b""), "所提交的是空文件"),
    ],
)
def test_a_bad_document_is_refused_and_nothing_is_stored(client, applicant, product, upload, said):
    log_in(client, applicant)
    response = client.post(URL, _form(product, documents=[upload]))
    assert response.status_code == 400
    assert said in response.content.decode()
    assert not SupplierApplication.objects.exists()
    assert not ApplicationDocument.objects.exists()


def test_wrong_fields_are_marked_and_the_form_keeps_the_answers(client, applicant, product):
    log_in(client, applicant)
    response = client.post(
        URL, _form(product, licence_number="91110108000000000X", goods=[], goods_note="")
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "请核对统一社会信用代码" in page and "请选择经营的商品" in page
    assert "上游数码科技有限公司" in page
    assert not SupplierApplication.objects.exists()


def test_a_phone_the_service_refuses_is_named_beside_its_field(client, applicant, product):
    log_in(client, applicant)
    response = client.post(URL, _form(product, contact_phone="call me"))
    assert response.status_code == 400
    assert "请填写正确的联系电话" in response.content.decode()
    assert not SupplierApplication.objects.exists()


def test_a_licence_already_waiting_elsewhere_is_refused(client, applicant, product):
    taken = factories.application()
    log_in(client, applicant)
    response = client.post(URL, _form(product, licence_number=taken.licence_number))
    assert response.status_code == 400
    assert "该执照已有待审核或已通过的申请" in response.content.decode()
    assert SupplierApplication.objects.count() == 1


def test_after_a_rejection_the_reason_shows_and_it_applies_again(client, applicant, product):
    log_in(client, applicant)
    client.post(URL, _form(product))
    first = SupplierApplication.objects.get()
    onboarding.reject_application(first, reason="营业执照已过期")

    page = client.get(URL).content.decode()
    assert "已驳回" in page and "营业执照已过期" in page
    assert "重新提交申请" in page and first.company_name in page  # the form, filled in
    assert "营业执照已过期" in client.get("/console/s/").content.decode()

    response = client.post(
        URL,
        _form(
            product,
            licence_number=first.licence_number,
            documents=[SimpleUploadedFile("新执照.png", factories.PNG_BYTES)],
        ),
    )
    assert response.status_code == 302
    second = SupplierApplication.objects.exclude(pk=first.pk).get()
    assert second.status == "submitted" and _account(applicant).application == second


def test_once_approved_the_applicant_has_the_suppliers_console(client, applicant, product):
    log_in(client, applicant)
    client.post(URL, _form(product))
    supplier = onboarding.approve_application(SupplierApplication.objects.get())
    home = client.get("/console/s/").content.decode()
    assert supplier.name in home and "今日结算" in home
    assert client.get("/console/s/batches/").status_code == 200
    page = client.get(URL).content.decode()
    assert "已通过" in page and 'name="company_name"' not in page
    assert client.post(URL, _form(product)).status_code == 302
    assert SupplierApplication.objects.count() == 1


def test_an_applicant_cannot_open_the_suppliers_pages(client, applicant):
    log_in(client, applicant)
    for url in ("/console/s/batches/", "/console/s/connection/", "/console/s/statements/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/console/s/"


def test_another_persons_document_is_a_404_and_changes_nothing(
    client, applicant, supplier_person, product
):
    theirs = factories.application(applicant=None)
    document = theirs.documents.get()
    for person in (applicant, supplier_person):
        client.logout()
        log_in(client, person)
        url = f"/console/s/application/documents/{document.pk}/"
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    assert client.get("/console/s/application/documents/99999999/").status_code == 404
    assert ApplicationDocument.objects.filter(pk=document.pk).exists()


def test_own_document_takes_no_post(client, applicant, product):
    log_in(client, applicant)
    client.post(URL, _form(product))
    document = ApplicationDocument.objects.get()
    url = f"/console/s/application/documents/{document.pk}/"
    assert client.post(url).status_code == 405
    assert ApplicationDocument.objects.filter(pk=document.pk).exists()
