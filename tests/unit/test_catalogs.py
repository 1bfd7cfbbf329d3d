"""The translation catalogs cover every message of the code and templates, and French is complete.

Extraction runs on the sources in memory, so adding a string without translating it fails here even if
nobody ran ``comptoir i18n extract``. Fix failures with ``comptoir i18n extract``, then translate the
new entries of frontend/locale/fr/LC_MESSAGES/messages.po.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.support import Translations
from click.testing import CliRunner

from backend.cli import main
from backend.i18n import translation as i18n
from backend.i18n.catalogs import (
    MAPPING_FILE,
    ROOT,
    TEMPLATE_FILE,
    check,
    extract,
    missing_translations,
    named_placeholders,
    placeholder_mismatches,
    update_catalogs,
)
from backend.web.templating import _catalog_text, environment

LOCALE_DIR = ROOT / "frontend" / "locale"
CATALOG_FILES = [LOCALE_DIR / TEMPLATE_FILE] + [
    LOCALE_DIR / code / "LC_MESSAGES" / "messages.po" for code in i18n.SUPPORTED_LOCALES
]


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, abort_invalid=True)


def _ids(catalog: Catalog) -> set[str]:
    return {message.id if isinstance(message.id, str) else message.id[0] for message in catalog if message.id}


def _listing(problems: list[object]) -> str:
    return "\n".join(str(problem) for problem in problems)


@pytest.fixture(scope="module")
def extracted() -> Catalog:
    return extract()


@pytest.fixture(scope="module")
def french() -> Catalog:
    return _read(LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po", "fr")


# (c) the catalogs parse


@pytest.mark.parametrize("path", CATALOG_FILES, ids=lambda path: str(path.relative_to(LOCALE_DIR)))
def test_the_catalogs_parse(path: Path) -> None:
    catalog = _read(path)
    assert len(catalog) > 0


@pytest.mark.parametrize("locale", i18n.SUPPORTED_LOCALES)
def test_the_app_compiles_each_catalog(locale: str) -> None:
    i18n.translations.cache_clear()
    assert i18n.translations(locale).gettext("Sign in")


@pytest.mark.parametrize("path", CATALOG_FILES, ids=lambda path: str(path.relative_to(LOCALE_DIR)))
def test_each_catalog_file_lists_exactly_the_messages_of_the_sources(path: Path, extracted: Catalog) -> None:
    catalog = _read(path)
    assert _ids(catalog) == _ids(extracted), "run `comptoir i18n extract`"


def test_french_uses_two_plural_forms(french: Catalog) -> None:
    assert french.num_plurals == 2
    assert french.plural_expr == "(n > 1)"


# (a) every message is translated into French


def test_every_message_of_the_code_and_templates_has_a_french_translation(
    extracted: Catalog, french: Catalog
) -> None:
    assert len(extracted) > 100
    problems = missing_translations(extracted, french)
    assert not problems, "translate these in fr/LC_MESSAGES/messages.po:\n" + _listing(problems)


# (b) placeholders survive translation


def test_every_placeholder_appears_exactly_in_the_french_translation(french: Catalog) -> None:
    problems = placeholder_mismatches(french)
    assert not problems, _listing(problems)


def test_french_follows_french_typography(french: Catalog) -> None:
    """Typographic apostrophes, and a narrow no-break space before ; : ! ? » and after «."""
    wrong = []
    for message in (message for message in french if message.id):
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        for string in filter(None, strings):
            if "'" in string or re.search(r"[^\u202f][;:!?»]|«[^\u202f]", re.sub(r"%\([^)]*\)", "", string)):
                wrong.append(string)
    assert not wrong, "\n".join(wrong)


def test_the_required_french_wording() -> None:
    token = i18n.current_locale.set("fr")
    try:
        assert i18n.gettext("Sign in") == "Se connecter"
    finally:
        i18n.current_locale.reset(token)


# The checks themselves catch what they are meant to catch.


def _catalog(*messages: tuple[str | tuple[str, str], str | tuple[str, str], list[str]]) -> Catalog:
    catalog = Catalog(locale="fr")
    for msgid, msgstr, flags in messages:
        catalog.add(msgid, msgstr, flags=flags)
    return catalog


def test_missing_empty_and_fuzzy_messages_are_reported() -> None:
    template = _catalog(
        ("Kept", "", []),
        ("Forgotten", "", []),
        ("Empty", "", []),
        ("Unsure", "", []),
        (("One", "Many"), "", []),
    )
    french = _catalog(
        ("Kept", "Gardé", []),
        ("Empty", "", []),
        ("Unsure", "Peut-être", ["fuzzy"]),
        (("One", "Many"), ("Un", ""), []),
    )
    reported = {(problem.msgid, problem.reason) for problem in missing_translations(template, french)}
    assert reported == {
        ("Forgotten", "missing"),
        ("Empty", "untranslated"),
        ("Unsure", "fuzzy"),
        ("One", "untranslated"),
    }


@pytest.mark.parametrize(
    ("msgid", "msgstr", "ok"),
    [
        ("Hello %(name)s", "Bonjour %(name)s", True),
        ("Hello %(name)s", "Bonjour %(nom)s", False),
        ("Hello %(name)s", "Bonjour", False),
        ("%(n)d granted", "%(n)s accordés", False),
        ("%(a)s and %(a)s", "%(a)s", False),
        ("Save 10%% now", "10\u202f%% de remise", True),
        ("Save 10%% now", "10\u202f% de remise", False),  # newstyle templates would raise on "% d"
        ("Sign in", "100\u202f% sûr", False),
        ("50% off", "50\u202f% de remise", True),  # not a format string: shown as is, from Python code
    ],
)
def test_placeholder_mismatches_are_reported(msgid: str, msgstr: str, ok: bool) -> None:
    assert (placeholder_mismatches(_catalog((msgid, msgstr, []))) == []) is ok


def test_plural_forms_must_carry_the_number() -> None:
    good = _catalog((("one item", "%(num)d items"), ("%(num)d article", "%(num)d articles"), []))
    bad = _catalog((("one item", "%(num)d items"), ("un article", "%(num)d articles"), []))
    assert placeholder_mismatches(good) == []
    assert len(placeholder_mismatches(bad)) == 1


def test_named_placeholders_ignore_literal_percent_signs() -> None:
    assert named_placeholders("%(a)s: 100%% of %(b)05.2f, 50% off") == ["%(a)s", "%(b)05.2f"]


# Extraction reads babel.cfg the way the app renders templates.


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A tiny copy of the project layout, with the real babel.cfg and the real catalogs."""
    shutil.copy(ROOT / MAPPING_FILE, tmp_path / MAPPING_FILE)
    shutil.copytree(LOCALE_DIR, tmp_path / "frontend" / "locale")
    (tmp_path / "backend").mkdir()
    (tmp_path / "frontend" / "templates").mkdir()
    return tmp_path


def test_a_new_untranslated_string_fails_the_check(project: Path) -> None:
    (project / "backend" / "new.py").write_text(
        'from backend.i18n.translation import N_, gettext\nA = N_("Brand new label")\nB = gettext("Sign in")\n'
    )
    (project / "frontend" / "templates" / "new.html").write_text('{{ _("Brand new page") }}\n')
    (project / "tests").mkdir()
    (project / "tests" / "ignored.py").write_text('_("Not a source of messages")\n')

    assert {"Brand new label", "Brand new page", "Sign in"} == _ids(extract(project))
    missing = {problem.msgid for problem in check(project) if problem.reason == "missing"}
    assert missing == {"Brand new label", "Brand new page"}


def test_extraction_keeps_translations_drops_obsolete_ones_and_is_stable(project: Path) -> None:
    (project / "frontend" / "templates" / "page.html").write_text('{{ _("Sign in") }} {{ _("Brand new") }}\n')

    french_update = next(update for update in update_catalogs(project) if "fr" in update.path.parts)
    french = _read(project / "frontend" / "locale" / "fr" / "LC_MESSAGES" / "messages.po", "fr")
    assert _ids(french) == {"Sign in", "Brand new"}
    assert french.get("Sign in").string == "Se connecter"
    assert not french.get("Brand new").string
    assert "Brand new" in french_update.added
    assert "Shop settings" in french_update.removed

    before = {path: path.read_bytes() for path in project.rglob("*.po*")}
    assert not any(update.written for update in update_catalogs(project))
    assert {path: path.read_bytes() for path in project.rglob("*.po*")} == before


@pytest.mark.parametrize(
    "source",
    [
        '{{ _("Hello %(name)s", name="Ana") }}',
        "{% trans %}50% off{% endtrans %}",
        '{% trans name="Ana" %}{{ name }}: 50% off{% endtrans %}',
        "<p>\n  {% trans %}\n    Spread over\n    lines\n  {% endtrans %}\n</p>",
        "{% trans count=2 %}{{ count }}% item{% pluralize %}{{ count }}% items{% endtrans %}",
    ],
)
def test_extracted_msgids_are_those_the_app_looks_up(
    source: str, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "frontend" / "templates" / "page.html").write_text(source)
    looked_up: list[str] = []

    def recording_gettext(self: Translations, message: str) -> str:
        looked_up.append(message)
        return message

    def recording_ngettext(self: Translations, singular: str, plural: str, num: int) -> str:
        looked_up.append(singular)
        return plural

    # On the class, so it holds however the templating module reaches the catalogs.
    monkeypatch.setattr(Translations, "gettext", recording_gettext)
    monkeypatch.setattr(Translations, "ngettext", recording_ngettext)
    _catalog_text.cache_clear()  # templates keep what they looked up: have them look it up again
    environment().from_string(source).render()
    assert looked_up
    assert set(looked_up) == _ids(extract(project))


def test_the_check_command_passes_on_the_repository() -> None:
    result = CliRunner().invoke(main, ["i18n", "check"])
    assert result.exit_code == 0, result.output
