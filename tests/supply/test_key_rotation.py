import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.test import override_settings

from kameng.orders import services as orders
from kameng.supply import vault
from kameng.supply.models import Card

pytestmark = pytest.mark.django_db


def test_rotating_card_keys_keeps_every_secret_readable_under_the_new_key(world, settings):
    before = {c.pk: vault.decrypt(c.secret_encrypted) for c in Card.objects.all()}
    new_key = Fernet.generate_key().decode()
    with override_settings(CARD_KEYS=[new_key, *settings.CARD_KEYS]):
        call_command("rotate_card_keys")
    with override_settings(CARD_KEYS=[new_key]):  # the old key is gone
        after = {c.pk: vault.decrypt(c.secret_encrypted) for c in Card.objects.all()}
        order = orders.place_order(
            agent=world.a3, sku_id=world.sku.pk, quantity=1, out_trade_no="rot"
        ).order
        assert orders.reveal_cards(order, world.a3)[0][1] in before.values()
    assert after == before
    with pytest.raises(InvalidToken):  # and the old key alone can no longer read them
        vault.decrypt(Card.objects.first().secret_encrypted)
