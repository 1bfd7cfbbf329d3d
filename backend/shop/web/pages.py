"""The owner's shop settings page."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Template

from backend.auth.rules import Permission
from backend.auth.web import forms
from backend.auth.web.guards import requires
from backend.catalog import rules as catalog_rules
from backend.i18n.translation import N_, current_locale, gettext
from backend.shop import rules, service
from backend.shop.cache import ShopSnapshot
from backend.shop.models import ShopProfile
from backend.shop.web.dependencies import Shop
from backend.web.dependencies import AppDb, CurrentPrincipal
from backend.web.responses import FormErrors, page, see_other

AnyRequest = Request[Any, Any, Any]
manage_settings = requires(Permission.SETTINGS_MANAGE)

MESSAGES = {
    "currency_unknown": N_("Choose a currency from the list."),
    "currency_obsolete": N_("This currency is no longer in use; choose a current one."),
    "unknown_timezone": N_("Choose a time zone from the list."),
    "tracking_days_out_of_range": N_("Give a number of days from 1 to 365."),
}


def _days(form: Any, errors: FormErrors) -> int | None:
    """The tracking links' life in days; None when the form has no such field."""
    raw = forms.text(form, "tracking_days", 10)
    if "tracking_days" not in form:
        return None
    if not raw.isdigit():
        errors.add("tracking_days", gettext(MESSAGES["tracking_days_out_of_range"]))
        return None
    return int(raw)


def _settings_page(
    request: AnyRequest,
    shop: ShopSnapshot,
    profile: ShopProfile,
    errors: FormErrors | None = None,
    status: int = 200,
    *,
    saved: bool = False,
) -> Template:
    context = {
        "profile": profile,
        "currencies": catalog_rules.currency_options(shop.currency, current_locale.get(), profile.currency),
        "timezones": [(zone, zone) for zone in sorted(rules.timezones())],
        "preview_minor": rules.PREVIEW_AMOUNT_MINOR,
        "errors": errors or FormErrors(),
        "saved": saved,
    }
    return page(request, "shop/settings.html", context, status_code=status)


@get("/settings", guards=[manage_settings])
async def settings_page(
    request: AnyRequest, db: AppDb, shop: Shop, saved: FromQuery[bool] = False
) -> Template:
    async with db.read() as session:
        profile = await service.get_profile(session)
    return _settings_page(request, shop, profile, saved=saved)


@post("/settings", guards=[manage_settings])
async def save_settings(
    request: AnyRequest, db: AppDb, shop: Shop, principal: CurrentPrincipal
) -> Response[Any] | Template:
    form = await request.form()
    errors = FormErrors()
    expected = forms.version(form, errors)
    wanted = rules.ProfileInput(
        name=forms.text(form, "name", 500),
        currency=forms.text(form, "currency", 10).upper(),
        timezone=forms.text(form, "timezone", 100),
        default_locale=forms.text(form, "default_locale", 10),
        tracking_days=_days(form, errors),
    )
    draft = ShopProfile(id=1, version=expected or 0, **wanted.__dict__)
    if errors:
        return _settings_page(request, shop, draft, errors, 400)
    try:
        await service.update_profile(db, principal.user_id, wanted, expected)
    except service.ProfileRejected as exc:
        for field, code in exc.problems.items():
            errors.add(field, gettext(MESSAGES[code]) if code in MESSAGES else forms.message(code))
        return _settings_page(request, shop, draft, errors, 400)
    except service.ProfileConflict as exc:
        errors.add(None, forms.message("version_conflict"))
        return _settings_page(request, shop, exc.current, errors, 409)
    return see_other("/settings?saved=true")


ROUTES = [settings_page, save_settings]
