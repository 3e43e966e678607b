import pytest

from kameng.errors import InvalidInput
from kameng.text import is_printable, require_printable


@pytest.mark.parametrize("value", ["", "x" * 65, "tab\there", "nul\x00", "line\n"])
def test_what_is_not_printable_or_too_long_is_refused_with_the_usual_sentence(value):
    assert not is_printable(value)
    with pytest.raises(InvalidInput, match=r"^out_trade_no must be 1–64 printable characters$"):
        require_printable(value, "out_trade_no")


def test_printable_values_pass_unchanged_and_optional_ones_may_be_empty():
    assert require_printable("订单 No.1", "out_trade_no") == "订单 No.1"
    assert is_printable("x" * 40, limit=40) and not is_printable("x" * 41, limit=40)
    assert require_printable("", "the reason", limit=500, optional=True) == ""
    with pytest.raises(InvalidInput, match=r"^the reason must be at most 5 printable characters$"):
        require_printable("\x07", "the reason", limit=5, optional=True)
