"""Opening and changing a shop: its address, colour, logo and the platform's own."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from kameng.errors import InvalidInput
from kameng.storefront import queries, services
from kameng.storefront.errors import (
    InvalidColour,
    InvalidLogo,
    InvalidSlug,
    PlatformStorefrontExists,
    SlugTaken,
    StorefrontNotFound,
)
from kameng.storefront.models import Storefront
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _upload(data: bytes, name: str = "logo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def test_a_shop_is_opened_and_changed(world):
    shop = services.set_storefront(world.a3, slug=" My-Shop ", name="小店", notice="欢迎")
    assert (shop.slug, shop.name, shop.notice, shop.colour) == (
        "my-shop",
        "小店",
        "欢迎",
        "#1677ff",
    )
    again = services.set_storefront(world.a3, slug="my-shop-2", name="大店", colour="#FF0000")
    assert again.pk == shop.pk and Storefront.objects.count() == 1
    assert (again.slug, again.name, again.colour) == ("my-shop-2", "大店", "#ff0000")
    assert queries.get_storefront("MY-SHOP-2").pk == shop.pk
    with pytest.raises(StorefrontNotFound):
        queries.get_storefront("my-shop")


@pytest.mark.parametrize("slug", ["", "ab", "a" * 33, "-shop", "shop-", "商店", "my shop", "a_b"])
def test_an_invalid_address_is_refused(world, slug):
    with pytest.raises(InvalidSlug):
        services.set_storefront(world.a3, slug=slug, name="小店")
    assert not Storefront.objects.exists()


@pytest.mark.parametrize("colour", ["", "red", "#fff", "#12345g", "1677ff", "#1677ff0"])
def test_an_invalid_colour_is_refused(world, colour):
    with pytest.raises(InvalidColour):
        services.set_storefront(world.a3, slug="shop", name="小店", colour=colour)
    assert not Storefront.objects.exists()


@pytest.mark.parametrize("name", ["", "  ", "x" * 65, "a\nb"])
def test_a_shop_needs_a_printable_name(world, name):
    with pytest.raises(InvalidInput):
        services.set_storefront(world.a3, slug="shop", name=name)
    assert not Storefront.objects.exists()


def test_an_address_belongs_to_one_shop(world):
    services.set_storefront(world.a3, slug="taken", name="甲")
    with pytest.raises(SlugTaken):
        services.set_storefront(world.a2, slug="TAKEN", name="乙")
    assert Storefront.objects.count() == 1


def test_there_is_one_platform_shop(world):
    factories.storefront(world.a1, slug="platform", platform=True)
    with pytest.raises(PlatformStorefrontExists):
        factories.storefront(world.a2, slug="other", platform=True)
    assert queries.platform_storefront().slug == "platform"
    services.set_storefront(world.a1, slug="platform", name="平台", platform=False)
    assert queries.platform_storefront() is None
    factories.storefront(world.a2, slug="other", platform=True)
    assert queries.platform_storefront().slug == "other"


def test_a_default_shop_is_named_after_its_agent(world):
    shop = services.default_storefront(world.a3)
    assert (shop.slug, shop.name) == ("agent3", "agent3的小店")
    assert services.default_storefront(world.a3).pk == shop.pk
    odd = factories.agent("Zhang San", parent=world.a2)  # not a valid address
    assert services.default_storefront(odd).slug == f"shop-{odd.pk}"
    services.set_storefront(world.a1, slug="agent2", name="抢先")  # agent2's name is taken
    assert services.default_storefront(world.a2).slug == f"shop-{world.a2.pk}"


@pytest.mark.parametrize(("fmt", "ext"), [("PNG", ".png"), ("JPEG", ".jpg"), ("WEBP", ".webp")])
def test_a_logo_is_checked_and_stored_re_encoded(world, fmt, ext):
    data = factories.image_bytes(fmt, size=(1024, 256))
    shop = services.set_storefront(world.a3, slug="shop", name="小店", logo=_upload(data, "x.bin"))
    assert shop.logo.name.startswith("storefront/logos/") and shop.logo.name.endswith(ext)
    stored = shop.logo.read()
    assert stored != data  # never the uploaded bytes
    with Image.open(BytesIO(stored)) as image:
        assert (image.format, image.size) == (fmt, (512, 128))  # at most 512 px a side


def test_a_png_logo_keeps_its_transparency_and_loses_its_metadata(world):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret location")
    data = factories.image_bytes("PNG", pnginfo=info)
    shop = services.set_storefront(world.a3, slug="shop", name="小店", logo=_upload(data))
    stored = shop.logo.read()
    assert b"secret location" not in stored
    with Image.open(BytesIO(stored)) as image:
        assert image.mode == "RGBA"


def test_a_new_logo_replaces_the_old_file(world, django_capture_on_commit_callbacks):
    first = services.set_storefront(
        world.a3, slug="shop", name="小店", logo=_upload(factories.image_bytes())
    )
    old = first.logo.name
    with django_capture_on_commit_callbacks(execute=True):
        second = services.set_storefront(
            world.a3, slug="shop", name="小店", logo=_upload(factories.image_bytes("JPEG"))
        )
    assert second.logo.name != old and not second.logo.storage.exists(old)
    kept = services.set_storefront(world.a3, slug="shop", name="小店")  # no logo: kept
    assert kept.logo.name == second.logo.name
    with django_capture_on_commit_callbacks(execute=True):
        cleared = services.set_storefront(world.a3, slug="shop", name="小店", clear_logo=True)
    assert not cleared.logo and not second.logo.storage.exists(second.logo.name)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not an image at all",
        factories.JPEG_BYTES,  # a JPEG header and nothing else
        factories.PNG_BYTES,  # a PNG signature and a broken header
        b"GIF89a" + bytes(40),
        b"%PDF-1.4\n%%EOF\n",
        b"<svg xmlns='http://www.w3.org/2000/svg'></svg>",
    ],
)
def test_what_is_not_a_png_jpeg_or_webp_image_is_refused(world, data):
    with pytest.raises(InvalidLogo):
        services.set_storefront(world.a3, slug="shop", name="小店", logo=_upload(data))
    assert not Storefront.objects.exists()


def test_a_gif_a_large_file_and_a_huge_picture_are_refused(world, tmp_path):
    refused = [
        factories.image_bytes("GIF"),
        factories.image_bytes("PNG") + bytes(512 * 1024),  # a PNG padded past 512 KB
        factories.image_bytes("PNG", size=(5000, 10)),  # too wide
    ]
    for data in refused:
        with pytest.raises(InvalidLogo):
            services.set_storefront(world.a3, slug="shop", name="小店", logo=_upload(data))
    assert not Storefront.objects.exists()
    assert not list((tmp_path / "media").rglob("*.*"))  # nothing was written


def test_a_refused_change_leaves_no_logo_file_behind(world, tmp_path):
    factories.storefront(world.a2, slug="taken")
    with pytest.raises(SlugTaken):
        services.set_storefront(
            world.a3, slug="taken", name="小店", logo=_upload(factories.image_bytes())
        )
    assert not list((tmp_path / "media").rglob("*.*"))
