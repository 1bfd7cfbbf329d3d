"""Product photos: checked by their content (not their name or declared type), resized, stored."""

from __future__ import annotations

import asyncio
import hashlib
import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select

from backend.catalog.models import Product, ProductPhoto
from backend.db import Database, upsert_into, utcnow
from backend.events import record

# Checked on the header, before anything is decoded: a 24 MP picture takes about 100 MB once
# decoded, and a photo shown at 800 px gains nothing from more. (The file's size is bounded by the
# request body limit, COMPTOIR_MAX_BODY_BYTES.)
MAX_PIXELS = 24_000_000
MAX_MEGAPIXELS = MAX_PIXELS // 1_000_000
MAX_SIDE = 800
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF"})


class PhotoRejected(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _open(data: bytes) -> Image.Image:
    """The picture, decoded only once its header shows an accepted format and size."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))  # reads the header, decodes nothing
            if probe.format not in ACCEPTED_FORMATS:
                raise PhotoRejected("photo_not_an_image")
            if probe.width * probe.height > MAX_PIXELS:
                raise PhotoRejected("photo_too_large")
            probe.verify()  # a truncated or forged file fails here
            image = Image.open(io.BytesIO(data))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoRejected("photo_too_large") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise PhotoRejected("photo_not_an_image") from exc
    return image


def resize(data: bytes) -> bytes:
    """Upright, at most 800 px a side, as WebP."""
    if not data:
        raise PhotoRejected("photo_not_an_image")
    image = ImageOps.exif_transpose(_open(data))
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    out = io.BytesIO()
    image.save(out, "WEBP", quality=80, method=4)
    return out.getvalue()


async def store_photo(db: Database, actor_id: int | None, product_id: int, upload: bytes) -> str:
    """Resize off the event loop, then save; returns the new ETag."""
    webp = await asyncio.to_thread(resize, upload)
    etag = hashlib.sha256(webp).hexdigest()[:32]
    async with db.write() as session:
        product = await session.get(Product, product_id, with_for_update=True)
        if product is None:
            raise PhotoRejected("not_found")
        values = {"content": webp, "media_type": "image/webp", "etag": etag, "updated_at": utcnow()}
        stmt = upsert_into(session, ProductPhoto).values(product_id=product_id, **values)
        await session.execute(stmt.on_conflict_do_update(index_elements=["product_id"], set_=values))
        product.photo = etag
        product.version += 1
        await record(
            session,
            "product.photo_changed",
            f"product:{product_id}",
            actor_id,
            sku=product.sku,
            name=product.name,
        )
    return etag


async def load_photo(db: Database, product_id: int) -> ProductPhoto | None:
    async with db.read() as session:
        return await session.scalar(select(ProductPhoto).where(ProductPhoto.product_id == product_id))
