"""Reading account forms into plain values, with per-field messages for the page."""

from __future__ import annotations

from collections.abc import Mapping

from backend.i18n.translation import N_, SUPPORTED_LOCALES, gettext
from backend.web import inputs
from backend.web.responses import FormErrors

MESSAGES = {
    "invalid_email": N_("Enter a valid e-mail address."),
    "email_taken": N_("This e-mail address is already used."),
    "too_short": N_("Use at least 10 characters."),
    "too_long": N_("Use at most 256 characters."),
    "too_common": N_("This password is one of the most common ones: choose one that is harder to guess."),
    "name_required": N_("Enter a name."),
    "name_too_long": N_("Use at most 120 characters."),
    "wrong_password": N_("This is not your current password."),
    "bad_credentials": N_("The e-mail address or the password is wrong."),
    "too_many_attempts": N_("Too many attempts. Try again in a few minutes."),
    "version_conflict": N_("Someone changed this in the meantime. Review the current values and try again."),
    "not_found": N_("This person does not exist."),
    "not_adjustable": N_("Permissions of this role cannot be changed."),
    "bad_locale": N_("Choose one of the offered languages."),
    "bad_version": N_("The form is out of date. Reload the page and try again."),
    "required": N_("This field is required."),
    "unknown_permission": N_("One of the permissions does not exist."),
    "api_not_allowed": N_("This account may not use the API."),
    "label_too_long": N_("Use at most 100 characters."),
    "label_invalid": N_("Use letters, digits, spaces and punctuation only."),
    "bad_expiry": N_("Choose one of the offered expiry dates."),
}


def message(code: str) -> str:
    return gettext(MESSAGES.get(code, code))


def text(form: Mapping[str, object], name: str, limit: int = 1000) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def version(form: Mapping[str, object], errors: FormErrors) -> int | None:
    raw = text(form, "version", 20)
    if not raw:
        return None
    if (found := inputs.parse_number(raw)) is None:
        errors.add(None, message("bad_version"))
    return found


def locale(form: Mapping[str, object], errors: FormErrors) -> str | None:
    raw = text(form, "locale", 8)
    if raw == "":
        return None  # follow the browser
    if raw not in SUPPORTED_LOCALES:
        errors.add("locale", message("bad_locale"))
        return None
    return raw


def safe_next(raw: str) -> str:
    """Only a path on this site: never another host (open redirect)."""
    if raw.startswith("/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return "/"
