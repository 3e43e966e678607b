"""The one check for short identifiers and free text that come in from outside (order
numbers, nonces, references, names): printable characters only, 1–N of them."""

from kameng.errors import InvalidInput


def is_printable(value: str, *, limit: int = 64) -> bool:
    """1 to `limit` characters, none of them a control or other non-printable one."""
    return 0 < len(value) <= limit and value.isprintable()


def require_printable(value: str, what: str, *, limit: int = 64, optional: bool = False) -> str:
    """`value` unchanged, or InvalidInput "<what> must be 1–<limit> printable characters"
    ("... at most <limit> ..." when `optional` lets it be empty)."""
    if optional and not value:
        return value
    if not is_printable(value, limit=limit):
        span = f"at most {limit}" if optional else f"1–{limit}"
        raise InvalidInput(f"{what} must be {span} printable characters")
    return value
