"""Who is behind a session or token, remembered in memory so a page view costs no query.

An entry is dropped after ``ttl`` seconds, when its session may have expired, and at once when the
event log says the person changed (profile, permissions, password, sign-out) — every process's
tailer sees those events, so a sign-out on one server is honoured by all of them within the
tailer's delay (immediate with PostgreSQL NOTIFY).
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime

from backend.auth.principal import Principal
from backend.kernel.db import utcnow
from backend.kernel.events import Event, subject_id


class PrincipalCache:
    def __init__(self, ttl: float = 60.0, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, Principal]] = {}

    def get(self, credential_hash: str) -> Principal | None:
        entry = self._entries.get(credential_hash)
        if entry is None:
            return None
        stored_at, principal = entry
        fresh = time.monotonic() - stored_at < self.ttl
        if not fresh or (principal.valid_until is not None and principal.valid_until <= utcnow()):
            # Perhaps another process extended the session: ask the database again.
            self._entries.pop(credential_hash, None)
            return None
        return principal

    def put(self, principal: Principal) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries.pop(next(iter(self._entries)))  # the oldest entry
        self._entries[principal.credential_hash] = (time.monotonic(), principal)

    def touched(self, principal: Principal, seen: datetime) -> None:
        """The session was just used: no need to write that down again for a while."""
        if principal.credential_hash in self._entries:
            self.put(replace(principal, last_seen_at=seen))

    def forget(self, credential_hash: str) -> None:
        self._entries.pop(credential_hash, None)

    def forget_user(self, user_id: int | None) -> None:
        for key in [key for key, (_, p) in self._entries.items() if p.user_id == user_id]:
            del self._entries[key]

    def clear(self) -> None:
        self._entries.clear()

    def on_event(self, event: Event) -> None:
        if event.type.startswith("user."):
            self.forget_user(subject_id(event))
