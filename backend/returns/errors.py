"""What a return command raises; each time it has written nothing."""

from __future__ import annotations


class ReturnRejected(Exception):
    """The request itself is wrong: field → problem code (``rules.MESSAGES``)."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(problems)
        self.problems = problems


class ReturnForbidden(Exception):
    """The person may not do this to this return (or ask for one on this order)."""


class ReturnNotFound(Exception):
    """No such return, or no such order (a customer learns nothing of other people's orders)."""


class ReturnConflict(Exception):
    """The return changed since the person read it (``version``), or cannot make that move now."""

    def __init__(self, code: str, status: str, version: int) -> None:
        super().__init__(code)
        self.code, self.status, self.version = code, status, version
