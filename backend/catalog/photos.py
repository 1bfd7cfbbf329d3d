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

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000  # refuses decompression bombs long before they fill memory
MAX_SIDE = 800
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF"})


class PhotoRejected(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _open(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            probe.verify()  # a truncated or forged file fails here
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise PhotoRejected("photo_not_an_image")
            if image.width * image.height > MAX_PIXELS:
                raise PhotoRejected("photo_too_large")
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombWarning) as exc:
        raise PhotoRejected("photo_not_an_image") from exc
    except Image.DecompressionBombError as exc:
        raise PhotoRejected("photo_too_large") from exc
    return image


def resize(data: bytes) -> bytes:
    """Upright, at most 800 px a side, as WebP."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise PhotoRejected("photo_too_large")
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
