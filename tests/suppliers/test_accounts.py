"""Supplier persons (the supplier console's log-ins): register, apply, and on approval
work for the new supplier; nobody else's supplier, ever."""

import json
from pathlib import Path

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.management import CommandError, call_command

from kameng.errors import InvalidInput
from kameng.suppliers import accounts, onboarding
from kameng.suppliers.errors import (
    AlreadySupplier,
    ApplicationPending,
    SupplierAccountNotFound,
    UsernameTaken,
    WeakPassword,
)
from kameng.suppliers.models import SupplierAccount, SupplierApplication
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_a_registered_person_can_log_in_and_has_no_supplier_yet():
    account = accounts.register_supplier_user(" hua ", factories.PERSON_PASSWORD, "hua@example.com")
    user = account.user
    assert (user.username, user.email, user.is_staff) == ("hua", "hua@example.com", False)
    assert authenticate(username="hua", password=factories.PERSON_PASSWORD) == user
    assert accounts.account_of(user) == account
    assert accounts.supplier_of(user) is None
    assert accounts.application_of(user) is None


def test_registration_refuses_bad_input_and_creates_nothing():
    factories.supplier_person("taken")
    users = get_user_model().objects.count()
    with pytest.raises(UsernameTaken):
        accounts.register_supplier_user("taken", factories.PERSON_PASSWORD, "t@example.com")
    for password in ("", "12345678", "hua12345", "short"):
        with pytest.raises(WeakPassword):
            accounts.register_supplier_user("hua12345", password, "hua@example.com")
    for email in ("", "not-an-email", "a@" + "x" * 260 + ".com"):
        with pytest.raises(InvalidInput):
            accounts.register_supplier_user("hua", factories.PERSON_PASSWORD, email)
    for username in ("", "with space", "x" * 151, "中文/斜杠"):
        with pytest.raises(InvalidInput):
            accounts.register_supplier_user(username, factories.PERSON_PASSWORD, "h@example.com")
    assert get_user_model().objects.count() == users
    assert SupplierAccount.objects.count() == 1


def test_the_applicant_works_for_the_supplier_its_application_created():
    person = factories.supplier_person("zhang")
    application = factories.application(applicant=person.user)
    assert application.applicant == person.user
    assert accounts.application_of(person.user) == application
    assert SupplierAccount.objects.get(pk=person.pk).application == application
    assert accounts.supplier_of(person.user) is None  # not before the decision

    operator = factories.operator()
    supplier = onboarding.approve_application(application, operator=operator, reason="资质齐全")

    assert accounts.supplier_of(person.user) == supplier
    assert accounts.application_of(person.user).status == SupplierApplication.Status.APPROVED
    decision = accounts.latest_decision(application)
    assert (decision.decision, decision.reason, decision.decided_by) == (
        "approved",
        "资质齐全",
        operator,
    )
    # A supplier's person applies no more.
    with pytest.raises(AlreadySupplier):
        factories.application(applicant=person.user)


def test_a_rejected_applicant_sees_why_and_may_apply_again():
    person = factories.supplier_person()
    first = factories.application(applicant=person.user)
    with pytest.raises(ApplicationPending):
        factories.application(applicant=person.user)
    onboarding.reject_application(first, reason="营业执照已过期", operator=factories.operator())

    assert accounts.supplier_of(person.user) is None
    latest = accounts.application_of(person.user)
    assert latest == first and latest.status == "rejected"
    assert accounts.latest_decision(latest).reason == "营业执照已过期"

    second = factories.application(applicant=person.user)
    assert accounts.application_of(person.user) == second
    assert SupplierAccount.objects.get(pk=person.pk).application == second


def test_only_a_supplier_person_applies_as_applicant():
    stranger = get_user_model().objects.create_user("stranger", password="x")
    agent_user = factories.agent("agent-person").user
    for user in (stranger, agent_user):
        with pytest.raises(SupplierAccountNotFound):
            factories.application(applicant=user)
    assert not SupplierApplication.objects.exists()


def test_an_operator_gives_an_existing_supplier_a_log_in(capsys):
    supplier = factories.supplier("老牌供应商")
    person = factories.supplier_person("laopai", supplier=supplier)
    assert accounts.supplier_of(person.user) == supplier
    other = factories.supplier()
    assert accounts.supplier_of(factories.supplier_person(supplier=other).user) == other

    call_command(
        "supplier_user",
        "laopai2",
        "--email",
        "laopai2@example.com",
        "--password",
        factories.PERSON_PASSWORD,
        "--supplier",
        "老牌供应商",
        "--json",
    )
    assert json.loads(capsys.readouterr().out) == {
        "username": "laopai2",
        "email": "laopai2@example.com",
        "supplier": "老牌供应商",
    }
    user = get_user_model().objects.get(username="laopai2")
    assert accounts.supplier_of(user) == supplier
    with pytest.raises(CommandError, match="weak_password"):
        call_command("supplier_user", "p3", "--email", "p3@example.com", "--password", "123")


def test_nobody_else_is_a_supplier():
    agent = factories.agent("just-an-agent")
    staff = factories.operator()
    for user in (None, AnonymousUser(), agent.user, staff):
        assert accounts.account_of(user) is None
        assert accounts.supplier_of(user) is None
        assert accounts.application_of(user) is None
