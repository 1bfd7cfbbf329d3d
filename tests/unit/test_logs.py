"""Building apps one after the other leaves one logging listener thread, not one per app."""

from __future__ import annotations

import logging
import threading

from backend.app import create_app
from tests.api.conftest import test_settings


def _listener_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if "_monitor" in thread.name]


def test_each_app_stops_the_logging_listener_of_the_app_before(tmp_path) -> None:
    before = len(_listener_threads())
    for n in range(4):
        create_app(test_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/app{n}.db"))
    assert len(_listener_threads()) <= max(before, 1)
    logging.getLogger("comptoir.test").warning("still logged")  # the last listener still runs
    assert any(getattr(handler, "listener", None) for handler in logging.getLogger().handlers)
