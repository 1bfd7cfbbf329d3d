"""What the invoicing commands raise. Each leaves the database exactly as it was."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backend.invoicing.service import InvoiceRef

__all__ = ["InvoiceConflict", "InvoiceForbidden", "InvoiceNotFound", "InvoiceRejected"]


class InvoiceRejected(Exception):
    """The request itself is wrong: field → problem code of ``rules.MESSAGES`` (the API answers
    422, a form shows each next to its field)."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(problems)
        self.problems = problems


class InvoiceForbidden(Exception):
    """The person may not manage invoices and payments."""


class InvoiceNotFound(Exception):
    pass


class InvoiceConflict(Exception):
    """The invoice is not as the caller saw it: another version (``version_conflict``), or no
    longer a draft (``not_draft``). ``current`` is what it is now (the API answers 409)."""

    def __init__(self, code: str, current: InvoiceRef) -> None:
        super().__init__(code)
        self.code = code
        self.current = current
