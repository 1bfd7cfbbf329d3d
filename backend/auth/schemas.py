from __future__ import annotations

import msgspec


class MeOut(msgspec.Struct):
    email: str
    name: str
    role: str
    permissions: list[str]
