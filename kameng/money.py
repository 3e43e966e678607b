"""Money: yuan as Decimal with two places. The one place it is rounded, parsed from
user input, and stored.

Storage: PostgreSQL keeps `numeric(max_digits, 2)`, exact. SQLite has no exact decimal
column (its "decimal" affinity stores floating point, which loses cents above about
10^13 and sums in floating point), so there a MoneyField is an INTEGER of cents (fen):
exact, and SQLite's integer arithmetic and SUM stay exact too.
"""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models

from kameng.errors import InvalidInput

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The largest amount any single input may be: what a 12-digit column (prices, costs,
# face values) holds. Order amounts (14 digits) and balances (18) have room above it.
PRICE_DIGITS = 12
MAX_AMOUNT = Decimal(10 ** (PRICE_DIGITS - 2)) - CENT  # 9 999 999 999.99

_AMOUNT = re.compile(rf"\+?[0-9]{{1,{PRICE_DIGITS - 2}}}(\.[0-9]{{1,2}})?")


class InvalidAmount(InvalidInput, ValueError):
    """Not an amount of money Kameng accepts. (A ValueError too, for callers that
    catch that.)"""

    code = "invalid_amount"
    title = "金额不正确（最多两位小数，且须为正数）"


def to_money(value: Decimal | int | str) -> Decimal:
    """Quantize a computed value to cents. Floats are refused: they cannot hold cents
    exactly. For input from people or other systems use `parse_money`."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    try:
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise InvalidAmount(f"not an amount of money: {value!r}") from exc


def parse_money(value: Decimal | int | str, *, allow_zero: bool = False) -> Decimal:
    """An amount given by a user (CLI, API, admin) or passed to a service: at most two
    decimals, positive (or zero with `allow_zero`), at most MAX_AMOUNT. Text must be
    plain digits ("100", "99.5", "0.01"): no exponent, no sign, no separators.
    Everything else raises InvalidAmount, before anything changes."""
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int | str):
        raise InvalidAmount(f"not an amount of money: {value!r}")
    if isinstance(value, str):
        text = value.strip()
        if not _AMOUNT.fullmatch(text):
            raise InvalidAmount(
                f"not an amount of money: {value!r} (yuan, at most two decimals, "
                f"at most {MAX_AMOUNT})"
            )
        amount = Decimal(text)
    else:
        amount = Decimal(value)
        if not amount.is_finite():
            raise InvalidAmount(f"not an amount of money: {value}")
    if amount > MAX_AMOUNT:
        raise InvalidAmount(f"amount {amount} is above the largest allowed, {MAX_AMOUNT}")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise InvalidAmount(f"amount must be positive, got {amount}")
    if amount != amount.quantize(CENT):
        raise InvalidAmount(f"not an amount of money (at most two decimals): {value}")
    return amount.quantize(CENT)


def _valid_amount(value: Decimal | None) -> None:
    from django.core.exceptions import ValidationError

    if value is None:
        return
    try:
        parse_money(value)
    except InvalidAmount as exc:
        raise ValidationError(InvalidAmount.title, code=InvalidAmount.code) from exc


def to_cents(value: Decimal) -> int:
    return int(to_money(value) * 100)


def from_cents(value: int | Decimal | str) -> Decimal:
    return (Decimal(value) / 100).quantize(CENT)


class MoneyField(models.DecimalField):
    """Yuan, two decimals: numeric on PostgreSQL, integer cents on SQLite (see above).

    Reads and writes through the ORM (filters, aggregates, constraints included)
    convert by themselves; plain SQL uses `kameng.db.money_param` / `db_money`.
    """

    def __init__(self, *args, max_digits: int = PRICE_DIGITS, **kwargs) -> None:
        kwargs["decimal_places"] = 2
        super().__init__(*args, max_digits=max_digits, **kwargs)

    def deconstruct(self):
        name, _, args, kwargs = super().deconstruct()
        del kwargs["decimal_places"]
        if kwargs.get("max_digits") == PRICE_DIGITS:
            del kwargs["max_digits"]
        return name, "kameng.money.MoneyField", args, kwargs

    def get_internal_type(self) -> str:
        # Not "DecimalField": SQLite's decimal converters and NUMERIC casts must not
        # touch a column of integer cents.
        return "MoneyField"

    def db_type(self, connection) -> str:
        if connection.vendor == "sqlite":
            return "integer"
        return f"numeric({self.max_digits}, 2)"

    def get_db_prep_value(self, value, connection, prepared=False):
        if not prepared:
            value = self.get_prep_value(value)
        if value is None:
            return None
        if connection.vendor == "sqlite":
            return to_cents(value)
        return to_money(value)

    def formfield(self, **kwargs):
        """Admin forms parse amounts with the same rule as the CLI and services."""
        return super().formfield(**{"validators": [_valid_amount], **kwargs})

    def from_db_value(self, value, expression, connection):
        if value is None or connection.vendor != "sqlite":
            return value
        return from_cents(value)


def cents_on_sqlite(table: str, *columns: str):
    """A migration step to follow the AlterField that made `columns` MoneyFields: on
    SQLite the rebuilt table holds the old yuan values; make them cents. (PostgreSQL's
    numeric columns are unchanged.)"""
    from django.db import migrations

    def convert(factor_sql: str):
        def run(apps, schema_editor) -> None:
            if schema_editor.connection.vendor != "sqlite":
                return
            sets = ", ".join(f"{c} = {factor_sql.format(c=c)}" for c in columns)
            schema_editor.execute(f"UPDATE {table} SET {sets}")

        return run

    return migrations.RunPython(
        convert("CAST(ROUND({c} * 100) AS INTEGER)"), convert("{c} / 100.0")
    )
