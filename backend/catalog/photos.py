"""Product photos: checked by their content (not their name or declared type), resized, stored."""

from __future__ import annotations

import asyncio
import hashlib
import io
import warnings
from collections import OrderedDict
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select

from backend.catalog.events import ProductPhotoChanged
from backend.catalog.models import Product, ProductPhoto
from backend.kernel.db import Database, upsert_into, utcnow
from backend.kernel.events import record
from backend.kernel.tx import Tx

# Checked on the header, before anything is decoded: a 24 MP picture takes about 100 MB once
# decoded, and a photo shown at 800 px gains nothing from more. (The file's size is bounded by the
# request body limit, COMPTOIR_MAX_BODY_BYTES.)
MAX_PIXELS = 24_000_000
MAX_MEGAPIXELS = MAX_PIXELS // 1_000_000
MAX_SIDE = 800
SMALL_SIDE = 160  # lists show photos 64 px square: sharp on screens of up to 2.5 device pixels a px
SMALL_KEPT = 512  # small renditions kept by each process, about 5 KB each
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF"})

# Pillow imports its common format plugins at its first Image.open: done with the app's imports,
# so that the first photo after a start (a drop-off's, sent with 15 others) does not wait for it.
Image.preinit()


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


def small(webp: bytes) -> bytes:
    """A stored photo as a small square (centre cropped) for lists, as WebP."""
    with Image.open(io.BytesIO(webp)) as image:
        square = ImageOps.fit(image, (SMALL_SIDE, SMALL_SIDE))
    out = io.BytesIO()
    square.save(out, "WEBP", quality=75, method=4)
    return out.getvalue()


@dataclass(frozen=True)
class Rendition:
    etag: str
    media_type: str
    content: bytes


_small_kept: OrderedDict[str, bytes] = OrderedDict()  # by the stored photo's ETag: never stale


async def load_small(db: Database, product_id: int, etag_seen: str | None) -> Rendition | None:
    """The small rendition, made from the stored photo the first time this process is asked for
    it; without its content when the browser already holds this version (``etag_seen``)."""
    async with db.read() as session:
        etag = await session.scalar(select(ProductPhoto.etag).where(ProductPhoto.product_id == product_id))
    if etag is None:
        return None
    if etag == etag_seen:
        return Rendition(etag, "image/webp", b"")
    if (content := _small_kept.get(etag)) is not None:
        _small_kept.move_to_end(etag)
        return Rendition(etag, "image/webp", content)
    photo = await load_photo(db, product_id)
    if photo is None:
        return None
    content = await asyncio.to_thread(small, photo.content)
    _small_kept[photo.etag] = content
    while len(_small_kept) > SMALL_KEPT:
        _small_kept.popitem(last=False)
    return Rendition(photo.etag, "image/webp", content)


async def store_photo(db: Database, actor_id: int | None, product_id: int, upload: bytes) -> str:
    """Resize off the event loop, then save; returns the new ETag."""
    webp = await asyncio.to_thread(resize, upload)
    etag = hashlib.sha256(webp).hexdigest()[:32]
    await db.run(_store, actor_id, product_id, webp, etag)
    return etag


def _store(tx: Tx, actor_id: int | None, product_id: int, webp: bytes, etag: str) -> None:
    session = tx.session
    product = session.get(Product, product_id, with_for_update=True)
    if product is None:
        raise PhotoRejected("not_found")
    values = {"content": webp, "media_type": "image/webp", "etag": etag, "updated_at": utcnow()}
    stmt = upsert_into(session, ProductPhoto).values(product_id=product_id, **values)
    session.execute(stmt.on_conflict_do_update(index_elements=["product_id"], set_=values))
    product.photo = etag
    product.version += 1
    record(tx, ProductPhotoChanged(sku=product.sku, name=product.name), f"product:{product_id}", actor_id)


async def load_photo(db: Database, product_id: int) -> ProductPhoto | None:
    async with db.read() as session:
        return await session.scalar(select(ProductPhoto).where(ProductPhoto.product_id == product_id))
