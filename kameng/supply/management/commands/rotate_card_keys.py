from django.db import transaction

from kameng.commands import KamengCommand
from kameng.supply.models import Card
from kameng.supply.vault import rotate


class Command(KamengCommand):
    help = (
        "Re-encrypt every card secret under the first key of KAMENG_CARD_KEYS. Rotation: "
        "prepend a new key, run this, then remove the old key."
    )

    def handle(self, *args, **options) -> None:
        done = 0
        last_pk = 0
        while True:
            with transaction.atomic():
                batch = list(
                    Card.objects.select_for_update()
                    .filter(pk__gt=last_pk)
                    .order_by("pk")
                    .only("pk", "secret_encrypted")[:1000]
                )
                if not batch:
                    break
                for card in batch:
                    card.secret_encrypted = rotate(card.secret_encrypted)
                Card.objects.bulk_update(batch, ["secret_encrypted"])
            done += len(batch)
            last_pk = batch[-1].pk
        self.print_json({"re_encrypted": done})
