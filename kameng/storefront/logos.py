"""Shop logos: proven to be images by decoding them, stored re-encoded."""

import secrets
from io import BytesIO

from django.core.files import File
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from kameng.storefront.errors import InvalidLogo

LOGO_MAX_BYTES = 512 * 1024
LOGO_MAX_SIDE = 4096  # refused above this before decoding (no decompression bombs)
LOGO_STORED_SIDE = 512  # stored at most this large
# Pillow format → (format written, file extension).
_LOGO_FORMATS = {"PNG": ("PNG", ".png"), "JPEG": ("JPEG", ".jpg"), "WEBP": ("WEBP", ".webp")}


def checked_logo(upload: File) -> ContentFile:
    """An uploaded logo proven to be a PNG, JPEG or WebP image by its content (Pillow
    decodes it), at most 512 KB and 4096 px a side, re-encoded (at most 512 px a side,
    no metadata) under a random name: the uploaded bytes never reach the disk."""
    size = getattr(upload, "size", None)
    if size is not None and size > LOGO_MAX_BYTES:
        raise InvalidLogo(f"the logo is larger than {LOGO_MAX_BYTES // 1024} KB")
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(LOGO_MAX_BYTES + 1)
    if not data:
        raise InvalidLogo("the logo file is empty")
    if len(data) > LOGO_MAX_BYTES:
        raise InvalidLogo(f"the logo is larger than {LOGO_MAX_BYTES // 1024} KB")
    try:
        with Image.open(BytesIO(data), formats=list(_LOGO_FORMATS)) as probe:
            fmt = probe.format
            width, height = probe.size
            if fmt not in _LOGO_FORMATS:
                raise InvalidLogo("the logo must be a PNG, JPEG or WebP image")
            if not (0 < width <= LOGO_MAX_SIDE and 0 < height <= LOGO_MAX_SIDE):
                raise InvalidLogo(f"the logo must be at most {LOGO_MAX_SIDE} pixels a side")
            probe.verify()
        with Image.open(BytesIO(data), formats=[fmt]) as decoded:
            decoded.load()
            image = ImageOps.exif_transpose(decoded)
            image.thumbnail((LOGO_STORED_SIDE, LOGO_STORED_SIDE))
            written_format, extension = _LOGO_FORMATS[fmt]
            if written_format == "JPEG":
                image = image.convert("RGB")
                options = {"quality": 90}
            else:
                has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
                image = image.convert("RGBA" if has_alpha else "RGB")
                options = {"lossless": True} if written_format == "WEBP" else {"optimize": True}
            out = BytesIO()
            image.save(out, format=written_format, **options)
    except InvalidLogo:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise InvalidLogo("the logo is not a readable PNG, JPEG or WebP image") from None
    return ContentFile(out.getvalue(), name=f"{secrets.token_hex(16)}{extension}")
