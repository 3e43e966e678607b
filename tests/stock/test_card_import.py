from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from kameng import vault
from kameng.catalog.models import Sku
from kameng.errors import InvalidInput
from kameng.stock import services as stock
from kameng.stock.errors import NoNewCards
from kameng.stock.models import Card, CardBatch
from kameng.suppliers import services as suppliers
from kameng.suppliers.errors import NotLicensed
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def source_and_sku():
    source = factories.supplier()
    item = factories.sku("50.00")
    suppliers.set_offer(source, item, Decimal("46.00"))
    return source, item


def test_csv_and_plain_lines_import_with_their_cost(source_and_sku):
    source, item = source_and_sku
    text = (
        'code,secret\nA001,SECRET-1\nA002,"SECRET,2"\n\n# a comment\nA003----SECRET-3\nONLYSECRET\n'
    )
    report = stock.import_cards(source, item, text)
    assert report.imported == 4 and report.rejected == 0
    cards = list(Card.objects.order_by("pk"))
    assert [c.code for c in cards] == ["A001", "A002", "A003", ""]
    assert [vault.decrypt(c.secret_encrypted) for c in cards] == [
        "SECRET-1",
        "SECRET,2",
        "SECRET-3",
        "ONLYSECRET",
    ]
    assert {c.cost for c in cards} == {Decimal("46.00")}
    assert CardBatch.objects.get().imported == 4


def test_duplicates_within_and_across_batches_are_rejected_and_reported(source_and_sku):
    source, item = source_and_sku
    first = stock.import_cards(source, item, "A1,S1\nA2,S2\nA3,S2\nA2,S9\n")
    assert first.imported == 2
    assert first.duplicate_in_file == [3, 4]  # same secret as line 2; same code as line 2
    second = stock.import_cards(source, item, "B1,S3\nA1,S8\nB2,S1\n")
    assert second.imported == 1
    assert second.duplicate_existing == [2, 3]
    assert Card.objects.count() == 3


def test_the_same_secret_under_another_sku_is_still_a_duplicate(source_and_sku):
    source, item = source_and_sku
    other = factories.sku("10.00")
    suppliers.set_offer(source, other, Decimal("9.00"))
    stock.import_cards(source, item, "X1,SHARED\n")
    assert stock.import_cards(source, other, "Y1,SHARED\nY2,OWN\n").duplicate_existing == [1]


def test_bad_lines_are_reported_with_their_reason(source_and_sku):
    source, item = source_and_sku
    report = stock.import_cards(source, item, "a,b,c\nGOOD,OK\n" + "x," + "y" * 300 + "\n")
    assert report.imported == 1
    assert [line for line, _ in report.invalid] == [1, 3]


@pytest.mark.parametrize("text", ["", "\n\n# only a comment\n", "code,secret\n"])
def test_a_file_without_cards_is_refused_and_creates_no_batch(source_and_sku, text):
    source, item = source_and_sku
    with pytest.raises(NoNewCards, match="the file has no cards: nothing imported, no batch"):
        stock.import_cards(source, item, text)
    assert CardBatch.objects.count() == 0


def test_a_file_of_nothing_but_duplicates_and_bad_lines_is_refused_with_its_lines(
    source_and_sku,
):
    source, item = source_and_sku
    stock.import_cards(source, item, "A1,S1\nA2,S2\n")
    with pytest.raises(NoNewCards) as refused:
        stock.import_cards(source, item, "A1,S1\nB1,S2\nB1,S2\na,b,c\n")
    assert refused.value.code == "no_new_cards"
    assert refused.value.message == (
        "no new cards, no batch created (repeated in the file: line 3; already stored: "
        "lines 1, 2; invalid: line 4 (expected 'code,secret' or one secret per line))"
    )
    assert refused.value.details == {
        "duplicate_in_file": [3],
        "duplicate_existing": [1, 2],
        "invalid": [{"line": 4, "reason": "expected 'code,secret' or one secret per line"}],
    }
    assert CardBatch.objects.count() == 1 and Card.objects.count() == 2


def test_the_command_refuses_an_all_duplicate_file_in_one_line(source_and_sku, tmp_path):
    source, item = source_and_sku
    path = tmp_path / "again.csv"
    path.write_text("\n".join(f"K{i},PIN{i}" for i in range(1, 13)) + "\n", encoding="utf-8")
    args = [str(path), "--sku", str(item.pk), "--supplier", source.name]
    call_command("import_cards", *args)
    with pytest.raises(CommandError) as refused:
        call_command("import_cards", *args)
    assert str(refused.value) == (
        "no_new_cards: no new cards, no batch created (already stored: lines 1, 2, 3, 4, 5, "
        "6, 7, 8, 9, 10 and 2 more)"
    )
    assert CardBatch.objects.count() == 1 and Card.objects.count() == 12


def test_secrets_are_encrypted_at_rest(source_and_sku):
    source, item = source_and_sku
    stock.import_cards(source, item, "A1,TOP-SECRET-PIN-778899\n")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM supply_card")
        raw_row = " ".join(str(value) for value in cursor.fetchone())
    assert "TOP-SECRET-PIN-778899" not in raw_row


def test_an_unlicensed_supplier_or_a_direct_sku_takes_no_cards(source_and_sku):
    source, _ = source_and_sku
    other = factories.sku("10.00")
    with pytest.raises(NotLicensed):
        stock.import_cards(source, other, "A,B\n")
    direct = factories.sku("30.00", kind=Sku.Kind.DIRECT)
    suppliers.set_offer(source, direct, Decimal("29.00"))
    with pytest.raises(InvalidInput):
        stock.import_cards(source, direct, "A,B\n")
    assert Card.objects.count() == 0


def test_import_cards_command_reads_a_file_and_reports(source_and_sku, tmp_path, capsys):
    source, item = source_and_sku
    path = tmp_path / "batch.txt"
    path.write_text("K1 PIN1\nK2 PIN2\nK1 PIN3\n", encoding="utf-8")
    call_command("import_cards", str(path), "--sku", str(item.pk), "--supplier", source.name)
    out = capsys.readouterr().out
    assert '"imported": 2' in out and '"duplicate_in_file": [\n    3\n  ]' in out
    with pytest.raises(CommandError, match="no such file"):
        call_command(
            "import_cards",
            str(tmp_path / "missing.csv"),
            "--sku",
            str(item.pk),
            "--supplier",
            source.name,
        )
    with pytest.raises(CommandError, match="supplier_not_found"):
        call_command("import_cards", str(path), "--sku", str(item.pk), "--supplier", "nobody")
    with pytest.raises(CommandError, match="sku_not_found"):
        call_command("import_cards", str(path), "--sku", "999999", "--supplier", source.name)


def test_gbk_encoded_files_are_read(source_and_sku, tmp_path):
    source, item = source_and_sku
    path = tmp_path / "gbk.csv"
    path.write_bytes("卡号,卡密\n甲1,密1\n".encode("gb18030"))
    call_command("import_cards", str(path), "--sku", str(item.pk), "--supplier", source.name)
    card = Card.objects.get()
    assert card.code == "甲1" and vault.decrypt(card.secret_encrypted) == "密1"
