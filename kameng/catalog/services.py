from decimal import Decimal

from kameng.catalog.models import Category, Product, Sku
from kameng.errors import InvalidInput
from kameng.money import parse_money


def create_sku(
    product: Product,
    name: str,
    face_value: Decimal | str,
    *,
    kind: str = Sku.Kind.CARD,
    authorised: bool = True,
    active: bool = True,
) -> Sku:
    face = parse_money(face_value)
    if kind not in Sku.Kind.values:
        raise InvalidInput(f"unknown fulfilment kind {kind!r}")
    return Sku.objects.create(
        product=product, name=name, face_value=face, kind=kind, authorised=authorised, active=active
    )


def create_product(category_name: str, name: str, description: str = "") -> Product:
    category, _ = Category.objects.get_or_create(name=category_name)
    return Product.objects.create(category=category, name=name, description=description)
