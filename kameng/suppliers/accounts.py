"""Supplier persons: the log-ins of the supplier console.

A company's person registers (register_supplier_user), submits its application with its
documents (onboarding.submit_application(applicant=user)), and once an operator approves
it, its account belongs to the new supplier: it sees that supplier's goods, batches and
statements, and nothing of any other. The operator may also give an existing supplier
a log-in (register_supplier_user(..., supplier=...)).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import translation

from kameng.errors import InvalidInput
from kameng.suppliers.errors import UsernameTaken, WeakPassword
from kameng.suppliers.models import (
    Supplier,
    SupplierAccount,
    SupplierApplication,
    SupplierReview,
)

User = AbstractBaseUser | AnonymousUser


def register_supplier_user(
    username: str, password: str, email: str, *, supplier: Supplier | None = None
) -> SupplierAccount:
    """A new log-in for a supplier person: no supplier yet (it applies), or `supplier`'s
    (the operator adds a person to an existing supplier). InvalidInput (username,
    email), WeakPassword (the password validators), UsernameTaken."""
    username = (username or "").strip()
    email = (email or "").strip()
    user_model = get_user_model()
    if not 1 <= len(username) <= 150:
        raise InvalidInput("username must be 1–150 characters")
    try:
        user_model.username_validator(username)
    except ValidationError as exc:
        raise InvalidInput(
            "username may contain only letters, digits and the characters @ . + - _"
        ) from exc
    try:
        if len(email) > 254:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError as exc:
        raise InvalidInput(
            f"a supplier person needs an email address (password reset): {email!r}"
        ) from exc
    _check_password(password or "", user_model(username=username, email=email))
    try:
        with transaction.atomic():
            user = user_model.objects.create_user(username=username, email=email, password=password)
            return SupplierAccount.objects.create(user=user, supplier=supplier)
    except IntegrityError as exc:
        raise UsernameTaken(f"username {username!r} is taken", username=username) from exc


def account_of(user: User | None) -> SupplierAccount | None:
    """The user's supplier account (its supplier loaded), if it is a supplier person."""
    if user is None or not user.is_authenticated:
        return None
    return SupplierAccount.objects.select_related("supplier").filter(user_id=user.pk).first()


def supplier_of(user: User | None) -> Supplier | None:
    """The supplier the user works for: None for anyone else, and for a supplier person
    whose application is not approved yet."""
    account = account_of(user)
    return account.supplier if account is not None else None


def application_of(user: User | None) -> SupplierApplication | None:
    """The latest application the user submitted (any status), or None."""
    if user is None or not user.is_authenticated:
        return None
    return (
        SupplierApplication.objects.filter(applicant_id=user.pk)
        .select_related("supplier")
        .order_by("-pk")
        .first()
    )


def latest_decision(application: SupplierApplication) -> SupplierReview | None:
    """The last decision on the application (approve / reject), with its reason."""
    return application.reviews.order_by("-pk").first()


def _check_password(password: str, user: AbstractBaseUser) -> None:
    if not password:
        raise WeakPassword("password refused: it is empty")
    # The validators' messages are translated; CLI and API errors are English.
    with translation.override("en"):
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise WeakPassword("password refused: " + " ".join(exc.messages)) from exc
