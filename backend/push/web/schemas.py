"""The shapes of ``/push``: the browser's ``PushSubscription`` JSON with the kinds it asks for."""

from __future__ import annotations

from typing import Annotated

import msgspec

from backend.push.rules import MAX_ENDPOINT

Key = Annotated[str, msgspec.Meta(max_length=200)]
KindName = Annotated[str, msgspec.Meta(max_length=32)]
Token = Annotated[str, msgspec.Meta(max_length=200)]


class KeysIn(msgspec.Struct):
    p256dh: Key
    auth: Key


class SubscriptionIn(msgspec.Struct):
    """What ``PushSubscription.toJSON()`` gives, plus ``kinds`` (none: all the owner may hear) and,
    from a tracking page, its ``token``: the subscription then hears that order only."""

    endpoint: Annotated[str, msgspec.Meta(max_length=MAX_ENDPOINT)]
    keys: KeysIn
    expirationTime: int | float | None = None  # noqa: N815 - the browser's own field name
    kinds: Annotated[list[KindName], msgspec.Meta(max_length=16)] | None = None
    token: Token | None = None


class UnsubscribeIn(msgspec.Struct):
    endpoint: Annotated[str, msgspec.Meta(max_length=MAX_ENDPOINT)]
    token: Token | None = None


class KeyOut(msgspec.Struct):
    public_key: str


class SubscribedOut(msgspec.Struct):
    id: int
    kinds: list[str]
    order_id: int | None = None  # a tracking link's subscription: the order it hears
