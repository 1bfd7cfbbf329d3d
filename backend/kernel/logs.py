"""Logging set up for the app: one queue listener thread per process, however many apps it builds."""

from __future__ import annotations

import atexit
import logging

from litestar.logging import LoggingConfig
from litestar.types import GetLogger


class ProcessLogging(LoggingConfig):
    """Litestar's logging config, which stops the listener of the set-up it replaces.

    Each app configures logging as it is built, and each configuration starts a queue listener
    thread that only stops when the process exits. One app per process never notices; a process
    that builds many (the test suite builds hundreds) would keep every thread and its queue.
    """

    def configure(self) -> GetLogger:
        for handler in logging.getLogger().handlers:
            listener = getattr(handler, "listener", None)
            if listener is not None:
                atexit.unregister(listener.stop)  # stopping twice fails on Python 3.11
                listener.stop()
        return super().configure()

    @classmethod
    def for_app(cls, log_requests: bool) -> ProcessLogging:
        """Through the queue listener; the request log (``comptoir.access``) only when asked for."""
        return cls(
            root={"level": "INFO", "handlers": ["queue_listener"]},
            loggers={"comptoir.access": {"level": "INFO" if log_requests else "WARNING"}},
            log_exceptions="never",
        )
