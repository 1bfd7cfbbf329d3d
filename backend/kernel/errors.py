"""Reading an error for what lies under it: SQLAlchemy wraps the driver's error (``orig``), and an
error may be raised from, or while handling, another."""

from __future__ import annotations

from collections.abc import Iterator


def chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, then each error under it (the driver's, its cause, its context), each once."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        error = todo.pop()
        if id(error) in seen:
            continue
        seen.add(id(error))
        yield error
        linked = (getattr(error, "orig", None), error.__cause__, error.__context__)
        todo.extend(link for link in linked if isinstance(link, BaseException))
