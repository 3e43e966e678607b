"""One language per sentence: every domain error has an English message (API, CLI) and
a Chinese title (pages), and neither mixes the two."""

import importlib
import re
from pathlib import Path

import kameng
from kameng.errors import DomainError
from kameng.ledger.errors import InsufficientBalance

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]*[a-z][A-Za-z]+")  # acronyms such as API may stay


def _all_errors() -> list[type[DomainError]]:
    root = Path(kameng.__file__).parent
    for path in root.glob("*/errors.py"):
        importlib.import_module(f"kameng.{path.parent.name}.errors")
    found, todo = [], [DomainError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return found


def test_every_domain_error_has_a_chinese_title_of_its_own():
    errors = _all_errors()
    assert len(errors) > 25
    for cls in errors:
        assert CJK.search(cls.title) and not LATIN_WORD.search(cls.title), cls
    # A subclass with a code of its own says what went wrong, not its parent's words.
    for cls in errors:
        parent = cls.__mro__[1]
        if "code" in vars(cls) and parent is not Exception:
            assert cls.title != parent.title, cls


def test_the_messages_the_ledger_raises_are_english_only(world):
    from kameng.ledger import services as ledger

    try:
        ledger.post(
            key="t",
            kind="adjustment",
            lines=[
                (world.a3.wallet_id, -(10**6)),
                (ledger.system_account_id(ledger.FUNDING), 10**6),
            ],
        )
    except InsufficientBalance as exc:
        assert not CJK.search(exc.message), exc.message
    else:
        raise AssertionError("an overdraft was posted")
