"""Translation catalogs: extract messages from the code and templates, update the .po files, check them.

The msgids are the English texts, so the English catalog stays untranslated (gettext falls back to the
msgid) and only the other languages must be complete. Extraction always reads the sources, never the
committed .pot, so a check cannot pass on a stale template.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from backend.i18n.translation import LOCALE_DIR, SUPPORTED_LOCALES

ROOT = LOCALE_DIR.parent.parent
PROJECT = "Comptoir"
MAPPING_FILE = "babel.cfg"
TEMPLATE_FILE = "messages.pot"
DOMAIN = "messages"
SOURCE_LOCALE = "en"
TRANSLATED_LOCALES = tuple(code for code in SUPPORTED_LOCALES if code != SOURCE_LOCALE)

# Comments in the sources that start with this tag are copied into the catalogs for translators.
TRANSLATOR_TAG = "Translators:"

# Plural rules that differ from Babel's (CLDR's) default. CLDR gives French a third form for exact
# millions ("1 million de commandes"); like GNU gettext we keep the two forms translators expect.
PLURAL_FORMS = {"fr": "nplurals=2; plural=(n > 1);"}

# Header lines that change on every run; ignored when deciding whether a catalog really changed, so
# running the extraction twice leaves no diff.
_VOLATILE_HEADER = re.compile(rb'^"(POT-Creation-Date|PO-Revision-Date|Generated-By): .*\\n"\n', re.MULTILINE)

# A %-directive: "%%", or an optional "(name)", flags, width, precision and a conversion letter.
_DIRECTIVE = re.compile(r"%(?:%|(?:\((?P<name>[^)]*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[a-zA-Z])")
_SAMPLE_VALUES = {"s": "x", "r": "x", "a": "x", "c": "x", "e": 1.5, "E": 1.5, "f": 1.5, "F": 1.5, "g": 1.5}


@dataclass(frozen=True)
class Problem:
    """Something wrong with one message of one language's catalog."""

    locale: str
    msgid: str
    reason: str

    def __str__(self) -> str:
        return f"{self.locale}: {self.reason}: {self.msgid!r}"


@dataclass(frozen=True)
class Update:
    """What an extraction changed in one catalog file."""

    path: Path
    total: int
    added: tuple[str, ...]
    removed: tuple[str, ...]
    written: bool


def extract(root: Path = ROOT) -> Catalog:
    """Every message marked in the sources that babel.cfg under ``root`` lists, read now."""
    root = root.resolve()  # Babel walks absolute paths; the directory filter compares against them
    mapping_path = root / MAPPING_FILE
    with mapping_path.open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, str(mapping_path))
    template = Catalog(
        project=PROJECT,
        version=_version(),
        domain=DOMAIN,
        header_comment="# Messages of Comptoir, extracted by `comptoir i18n extract`. Do not edit.",
        charset="utf-8",
        fuzzy=False,
    )
    template.msgid_bugs_address = ""  # the constructor turns "" into a placeholder address
    roots = [_literal_prefix(pattern) for pattern, _ in method_map]
    found = extract_from_dir(
        root,
        method_map,
        options_map,
        keywords={},  # only the keywords babel.cfg names, not Babel's long default list
        comment_tags=(TRANSLATOR_TAG,),
        strip_comment_tags=True,
        directory_filter=lambda path: _may_hold_sources(Path(path).relative_to(root), roots),
    )
    for filename, lineno, message, comments, context in found:
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def update_catalogs(root: Path = ROOT) -> list[Update]:
    """Write the .pot and bring each language's .po in line with it, keeping existing translations.

    Obsolete messages are dropped rather than kept as comments, and no fuzzy matching is done: a
    changed msgid is a new, untranslated message, which the check then reports.
    """
    template = extract(root)
    locale_dir = root / LOCALE_DIR.relative_to(ROOT)
    template_path = locale_dir / TEMPLATE_FILE
    updates = [_write(template_path, template, before=_ids(_read_if_exists(template_path, None)))]
    for locale in SUPPORTED_LOCALES:
        path = locale_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        catalog = _read_if_exists(path, locale)
        if catalog is None:
            catalog = _new_catalog(locale, template)
        before = _ids(catalog)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        updates.append(_write(path, catalog, before=before))
    return updates


def check(root: Path = ROOT) -> list[Problem]:
    """Every message the sources use that a translated language lacks, leaves empty, marks fuzzy or breaks."""
    template = extract(root)
    locale_dir = root / LOCALE_DIR.relative_to(ROOT)
    problems = []
    for locale in TRANSLATED_LOCALES:
        path = locale_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        catalog = _read_if_exists(path, locale)
        if catalog is None:
            catalog = Catalog(locale=locale)
        problems += missing_translations(template, catalog)
        problems += placeholder_mismatches(catalog)
    return problems


def missing_translations(template: Catalog, catalog: Catalog) -> list[Problem]:
    """Messages of ``template`` that ``catalog`` does not have, has empty (any plural form) or fuzzy."""
    locale = str(catalog.locale)
    problems = []
    for wanted in _messages(template):
        found = catalog.get(wanted.id, wanted.context)
        if found is None:
            problems.append(Problem(locale, _singular(wanted.id), "missing"))
        elif not all(_strings(found)):
            problems.append(Problem(locale, _singular(wanted.id), "untranslated"))
        elif found.fuzzy:
            problems.append(Problem(locale, _singular(wanted.id), "fuzzy"))
    return problems


def placeholder_mismatches(catalog: Catalog) -> list[Problem]:
    """Translations whose %-placeholders differ from their msgid's, or that no longer %-format.

    Templates use newstyle gettext, which %-formats every message even without variables; so when a
    msgid formats, its translation must too (a French "10 %" has to be written "10 %%").
    """
    locale = str(catalog.locale)
    problems = []
    for message in _messages(catalog):
        msgids = [message.id] if isinstance(message.id, str) else list(message.id)
        for string in filter(None, _strings(message)):
            if len(msgids) == 1:
                expected, actual = sorted(named_placeholders(msgids[0])), sorted(named_placeholders(string))
            else:
                # Every plural form carries every placeholder of the msgids: the French singular form
                # also serves 0, so it cannot say "one item" without the number.
                expected = sorted({p for msgid in msgids for p in named_placeholders(msgid)})
                actual = sorted(set(named_placeholders(string)))
            if actual != expected:
                reason = f"placeholders {expected} expected, {actual} found in {string!r}"
                problems.append(Problem(locale, _singular(message.id), reason))
            elif all(_formats(msgid) for msgid in msgids) and not _formats(string):
                reason = f"{string!r} is not a valid %-format string (write a literal % as %%)"
                problems.append(Problem(locale, _singular(message.id), reason))
    return problems


def named_placeholders(text: str) -> list[str]:
    """The %(name)x directives of ``text``, in order; "%%" is a literal, not a placeholder."""
    return [match.group(0) for match in _DIRECTIVE.finditer(text) if match.group("name") is not None]


def _formats(text: str) -> bool:
    """Whether ``text % {...}`` works the way the app calls it, with a value for each named placeholder.

    The app always formats with a mapping, so a directive without a name is a mistake even when Python
    accepts it: "100 % sûr" would print the mapping in place of "% s".
    """
    values = {}
    for match in _DIRECTIVE.finditer(text):
        if match.group(0) == "%%":
            continue
        if match.group("name") is None:
            return False
        values[match.group("name")] = _SAMPLE_VALUES.get(match.group(0)[-1], 1)
    try:
        text % values  # only whether it raises matters
    except (TypeError, ValueError, KeyError):
        return False
    return True


def _messages(catalog: Catalog) -> Iterator[Message]:
    return (message for message in catalog if message.id)  # the message with an empty id is the header


def _strings(message: Message) -> list[str]:
    return [message.string] if isinstance(message.string, str) else list(message.string or ("",))


def _singular(msgid: str | Iterable[str]) -> str:
    return msgid if isinstance(msgid, str) else next(iter(msgid))


def _literal_prefix(pattern: str) -> tuple[str, ...]:
    """The fixed directories a glob starts with: ("frontend", "templates") for frontend/templates/**.html."""
    parts = pattern.split("/")[:-1]
    literal = []
    for part in parts:
        if any(char in part for char in "*?["):
            break
        literal.append(part)
    return tuple(literal)


def _may_hold_sources(relative: Path, roots: list[tuple[str, ...]]) -> bool:
    """Walk only towards and inside the mapped directories, not into .venv, node_modules or caches."""
    parts = relative.parts
    if parts and (parts[-1].startswith(".") or parts[-1] == "__pycache__"):
        return False
    return any(parts[: len(prefix)] == prefix or prefix[: len(parts)] == parts for prefix in roots)


def _read_if_exists(path: Path, locale: str | None) -> Catalog | None:
    if not path.exists():
        return None
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


def _new_catalog(locale: str, template: Catalog) -> Catalog:
    language = Locale.parse(locale).english_name
    comment = f"# {language} messages of Comptoir: `comptoir i18n extract` adds new ones here."
    if locale == SOURCE_LOCALE:
        comment += "\n# The msgids are already English: leave every msgstr empty."
    catalog = Catalog(
        locale=locale,
        domain=DOMAIN,
        header_comment=comment,
        project=template.project,
        version=template.version,
        last_translator="Comptoir contributors",
        language_team=language,
        charset="utf-8",
        fuzzy=False,
    )
    catalog.msgid_bugs_address = template.msgid_bugs_address
    if locale in PLURAL_FORMS:
        catalog.mime_headers = [("Plural-Forms", PLURAL_FORMS[locale])]
    return catalog


def _version() -> str:
    try:
        return metadata.version("comptoir")
    except metadata.PackageNotFoundError:  # running from a checkout that was never installed
        return "0"


def _ids(catalog: Catalog | None) -> set[str]:
    return {_singular(message.id) for message in _messages(catalog)} if catalog is not None else set()


def _write(path: Path, catalog: Catalog, before: set[str]) -> Update:
    """Write ``catalog`` sorted, without line numbers or obsolete entries, only if more than dates changed."""
    if catalog.locale is not None:
        catalog.revision_date = datetime.now().astimezone()
    buffer = io.BytesIO()
    # File names without line numbers: translators still see where a message is used, and moving
    # code within a file changes nothing.
    write_po(buffer, catalog, width=100, sort_output=True, include_lineno=False, ignore_obsolete=True)
    content = buffer.getvalue()
    old_content = path.read_bytes() if path.exists() else b""
    changed = _VOLATILE_HEADER.sub(b"", content) != _VOLATILE_HEADER.sub(b"", old_content)
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    after = _ids(catalog)
    return Update(path, len(after), tuple(sorted(after - before)), tuple(sorted(before - after)), changed)
