import argparse
from pathlib import Path

from django.core.files import File

from kameng.commands import KamengCommand
from kameng.errors import InvalidInput
from kameng.suppliers import onboarding


class Command(KamengCommand):
    help = (
        "Submit a supplier's qualification application (资质审核) with its licence number, "
        "contact, licensed goods and documents (PDF, JPEG or PNG, at most 10 MB each)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--company", required=True, help="company name (becomes the supplier)")
        parser.add_argument(
            "--licence", required=True, help="统一社会信用代码 (18) or 营业执照注册号 (15)"
        )
        parser.add_argument("--contact-name", required=True)
        parser.add_argument("--contact-phone", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument(
            "--product-id",
            dest="product_ids",
            type=int,
            action="append",
            default=[],
            metavar="PRODUCT_ID",
            help="a product (not a SKU) the supplier is licensed for, repeatable",
        )
        # The first spelling, easy to mistake for a SKU id: still accepted.
        parser.add_argument(
            "--product", dest="product_ids", type=int, action="append", help=argparse.SUPPRESS
        )
        parser.add_argument("--goods-note", default="", help="the licensed goods, in words")
        parser.add_argument(
            "--document", action="append", default=[], metavar="FILE", help="repeatable"
        )

    def handle(self, *args, **options) -> None:
        paths = [Path(p) for p in options["document"]]
        for path in paths:
            if not path.is_file():
                raise InvalidInput(f"no such file: {path}")
        handles = [path.open("rb") for path in paths]
        try:
            application = onboarding.submit_application(
                company_name=options["company"],
                licence_number=options["licence"],
                contact_name=options["contact_name"],
                contact_phone=options["contact_phone"],
                contact_email=options["email"],
                product_ids=options["product_ids"],
                goods_note=options["goods_note"],
                documents=[File(h, name=p.name) for h, p in zip(handles, paths, strict=True)],
            )
        finally:
            for handle in handles:
                handle.close()
        self.print_json(onboarding.describe_application(application))
