"""Builders for delivery tests: packed delivery orders, drivers allowed the API, proof files."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw

from backend.auth.models import PermissionOverride, User
from backend.auth.rules import Permission, Role
from backend.auth.service import create_api_token
from backend.fulfilment import service as fulfilment
from backend.kernel.db import Database
from backend.orders import service as orders
from backend.orders.drafts import Address, WantedLine
from backend.orders.rules import Actor
from tests.api.order_fixtures import actor_for, draft
from tests.writing import add, add_all

BASTILLE = Address("3 place de la Bastille", "Paris", "75004", "FR", 48.8532, 2.3692)
NATION = Address("5 place de la Nation", "Paris", "75012", "FR", 48.8483, 2.3958)
ONE = [WantedLine("APPLE", 1)]


async def packed(db: Database, owner: Actor, **changes: object) -> int:
    """A delivery order placed, accepted, picked and packed; its id."""
    return (await packed_tracked(db, owner, **changes))[0]


async def packed_tracked(db: Database, owner: Actor, **changes: object) -> tuple[int, str]:
    """A packed delivery order's id and tracking token."""
    placed = await orders.place_order(db, owner, draft(lines=ONE, **changes))
    order = await orders.accept_order(db, owner, placed.id)
    started = await db.run(fulfilment.start_batch, owner, order.location_id, [fulfilment.Seen(order.id)])
    order = started.orders[0]
    done = await db.run(fulfilment.confirm_pick, owner, order.id, "APPLE", 1)
    await db.run(fulfilment.pack, owner, order.id, 1, 500, version=done.summary.version)
    return order.id, placed.tracking_token


@dataclass
class Drivers:
    main: User
    other: User
    main_token: str
    other_token: str


async def drivers_with_api(db: Database, main: User) -> Drivers:
    """The team's driver and a second one, both allowed the API (the owner's choice)."""
    other = User(email="second@shop.test", name="Sam Second", role=Role.DRIVER.value, password_hash="-")
    other.id = await db.run(add, other)
    grants = [
        PermissionOverride(user_id=user_id, permission=Permission.API_USE.value, granted=True)
        for user_id in (main.id, other.id)
    ]
    await db.run(add_all, grants)
    main_token = await create_api_token(db, main.email, "phone")
    other_token = await create_api_token(db, other.email, "phone")
    return Drivers(main, other, main_token, other_token)


def owner_actor(user: User) -> Actor:
    return actor_for(Role.OWNER, user.id)


def png(draw_line: bool = True) -> bytes:
    image = Image.new("RGBA", (120, 60), (0, 0, 0, 0))
    if draw_line:
        ImageDraw.Draw(image).line((5, 30, 110, 35), fill=(0, 0, 0, 255), width=3)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


def camera_jpeg() -> bytes:
    """A photo with what a camera writes in it: the maker, and where it was taken."""
    exif = Image.Exif()
    exif[0x010F] = "Maker of the phone"
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 7.0)}
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()
