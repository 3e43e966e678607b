"""The one place money is rounded: yuan as Decimal, two places, half-up."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_money(value: Decimal | int | str) -> Decimal:
    """Quantize to cents. Floats are refused: they cannot hold cents exactly."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    try:
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount of money: {value!r}") from exc


def parse_money(text: str) -> Decimal:
    """Parse user input such as '100', '99.5', '0.01'; at most two decimals, finite."""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError) as exc:
        raise ValueError(f"not an amount of money: {text!r}") from exc
    if not value.is_finite() or value.as_tuple().exponent < -2:
        raise ValueError(f"not an amount of money (at most two decimals): {text!r}")
    return to_money(value)
