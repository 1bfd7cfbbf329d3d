from __future__ import annotations

from typing import Annotated

import msgspec

from backend.i18n.translation import SUPPORTED_LOCALES


class MeOut(msgspec.Struct):
    email: str
    name: str
    role: str
    permissions: list[str]
    locale: str | None
    version: int


class MePatch(msgspec.Struct, forbid_unknown_fields=True):
    """A partial update: fields left out keep their value; ``locale: null`` follows the browser."""

    version: Annotated[int, msgspec.Meta(ge=1)]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=120)] | msgspec.UnsetType = msgspec.UNSET
    locale: str | msgspec.UnsetType | None = msgspec.UNSET

    def __post_init__(self) -> None:
        if isinstance(self.locale, str) and self.locale not in SUPPORTED_LOCALES:
            raise ValueError(f"locale must be one of {', '.join(SUPPORTED_LOCALES)} or null")


ME_EXAMPLE = {
    "email": "olive@shop.example",
    "name": "Olive Owner",
    "role": "owner",
    "permissions": ["api.use", "catalog.edit", "catalog.view", "orders.manage", "orders.view"],
    "locale": "fr",
    "version": 3,
}
ME_PATCH_EXAMPLE = {"version": 3, "name": "Olive Martin", "locale": None}
