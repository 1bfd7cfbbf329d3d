"""The Jinja environment: pages, fragments and live messages all render through their app's one."""

from __future__ import annotations

from collections.abc import MutableMapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

from backend.auth.principal import Principal
from backend.auth.rules import PERMISSION_LABELS, ROLE_LABELS
from backend.i18n.translation import (
    LOCALE_NAMES,
    SUPPORTED_LOCALES,
    current_locale,
    gettext,
    ngettext,
    translations,
)
from backend.kernel.moments import format_duration, format_when
from backend.kernel.money import format_money
from backend.web import assets
from backend.web.navigation import Navigation, NavItem

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "frontend" / "templates"


@lru_cache(maxsize=8192)
def _catalog_text(locale: str, message: str) -> Markup:
    return Markup(translations(locale).gettext(message))  # noqa: S704 - our own catalog


def _template_gettext(message: str, **variables: object) -> Markup:
    """Translated, trusted catalog text; the variables are escaped as they are interpolated.

    A page calls this a hundred times and more (a product list: three a product): the translated
    text is kept, and formatting (which also turns ``%%`` into ``%``) is skipped when it would
    change nothing."""
    text = _catalog_text(current_locale.get(), message)
    return text % variables if variables or "%" in text else text


def _template_ngettext(singular: str, plural: str, num: int, **variables: object) -> Markup:
    text = Markup(translations(current_locale.get()).ngettext(singular, plural, num))  # noqa: S704
    return text % {"num": num, **variables}


def _money(minor: int, currency: str) -> str:
    return format_money(minor, currency)


def _csrf_field(context_token: str) -> Markup:
    return Markup('<input type="hidden" name="_csrf_token" value="{}">').format(context_token)


class _ByLanguage:
    """A template that reads nothing but the language, rendered once per language and kept.

    Parts of every page that depend on nothing but the language (and, for the navigation, on the
    destinations and the current one) are rendered once: they were a third of a page view."""

    def __init__(self, env: Environment) -> None:
        self._env = env
        self._rendered: dict[tuple[str, str], Markup] = {}

    def __call__(self, template: str) -> Markup:
        key = (template, current_locale.get())
        html = self._rendered.get(key)
        if html is None:
            html = Markup(self._env.get_template(template).render())  # noqa: S704 - our own template
            self._rendered[key] = html
        return html


class _BottomNav:
    """The bottom navigation of one app: its own destinations, rendered once per set and language."""

    def __init__(self, env: Environment, navigation: Navigation) -> None:
        self._env = env
        self._navigation = navigation
        self._render = lru_cache(maxsize=512)(self._render_items)

    def _render_items(self, items: tuple[NavItem, ...], current: str | None, locale: str) -> Markup:
        html = self._env.get_template("components/_bottom_nav.html").render(items=items, current=current)
        return Markup(html)  # noqa: S704 - our own template

    def __call__(self, principal: Principal, path: str) -> Markup:
        items = tuple(self._navigation.items_for(principal))
        current = path if any(item.href == path for item in items) else None
        return self._render(items, current, current_locale.get())


@pass_context
def _shell(context: Context) -> Any:
    """The page frame's live values (``backend.web.dependencies.Shell``), for the request rendered."""
    # Imported here: the providers import the domains, whose live fragments render through this module.
    from backend.web.dependencies import shell_of

    return shell_of(context["request"].scope)


class _Environment(Environment):
    """Jinja's environment, with each template's globals as one flat dict.

    Jinja chains a template's globals over the environment's (a ``ChainMap``) and copies them all
    into each rendering's context, every name looked up through the chain: a sixth of a shop page's
    rendering. Globals are all set when the app is built, before any template is loaded, as Jinja
    asks (``Environment.globals``), so a flat copy taken at loading says the same."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


def environment(navigation: Navigation | None = None) -> Environment:
    """A new environment: each app has its own (``Site.templates``), with its plugins' globals."""
    env = _Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        # The templates are a fixed set of files, all kept: Jinja's bounded cache moves each one
        # used to the end of a queue it searches from the start, several times a page.
        cache_size=-1,
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        enable_async=False,
    )
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    # Same meaning as the extension's newstyle callables, without their per-call context lookup,
    # which was a fifth of a page's rendering time.
    env.globals.update(_=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext)
    env.filters["money"] = _money
    env.filters["when"] = format_when
    env.filters["duration"] = format_duration
    env.globals.update(
        current_locale=current_locale.get,
        locales=[(code, LOCALE_NAMES[code]) for code in SUPPORTED_LOCALES],
        by_language=_ByLanguage(env),
        bottom_nav=_BottomNav(env, navigation or Navigation()),
        asset=assets.url,
        htmx_tags=assets.htmx_tags,
        csrf_field=_csrf_field,
        shell=_shell,
        role_labels=ROLE_LABELS,
        permission_labels=PERMISSION_LABELS,
    )
    return env


def render(env: Environment, template: str, **context: Any) -> str:
    return env.get_template(template).render(**context)
