"""Reading the fulfilment pages' forms, and telling in words why a move was not applied."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request

from backend.auth.web import forms as auth_forms
from backend.fulfilment.errors import FulfilmentRejected, PickConflict
from backend.fulfilment.web.api import message
from backend.i18n.translation import N_, gettext
from backend.orders.errors import StaleOrder, TransitionRefused
from backend.web import inputs
from backend.web.responses import FormErrors

AnyRequest = Request[Any, Any, Any]
Form = Mapping[str, Any]

STALE = N_("The order changed in the meantime: nothing was done. Here it is as it is now.")


def text(form: Form, name: str, limit: int = 200) -> str:
    return auth_forms.text(form, name, limit)


def number(form: Form, name: str, errors: FormErrors, problem: str, default: int | None = None) -> int:
    """A whole number typed in a field (``default`` when left empty); the problem's message else."""
    raw = text(form, name, 20)
    if not raw and default is not None:
        return default
    found = inputs.parse_number(raw)
    if found is None:
        errors.add(name, message(problem))
        return 0
    return found


def version(form: Form, errors: FormErrors) -> int | None:
    return auth_forms.version(form, errors)


def refusal(exc: Exception, errors: FormErrors) -> int:
    """The refusal's message added to ``errors``; returns the status to answer with."""
    if isinstance(exc, FulfilmentRejected):
        for key, code in exc.problems.items():
            errors.add(key, message(code))
        return 422
    if isinstance(exc, PickConflict):
        errors.add(None, message(exc.code, exc.by))
        return 409
    if isinstance(exc, TransitionRefused):
        errors.add(None, message(exc.code))
        return 409
    if isinstance(exc, StaleOrder):
        errors.add(None, gettext(STALE))
        return 409
    raise exc
