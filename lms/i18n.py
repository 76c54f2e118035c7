"""Interface languages: which locale a request uses, catalogs per domain, and the translate CLI."""

import os
import subprocess
import sys
from pathlib import Path

import click
from babel import Locale
from babel.messages.pofile import read_po, write_po
from babel.support import Translations
from flask import current_app, request, session
from flask.cli import AppGroup
from flask_babel import Domain, get_locale
from flask_login import current_user

#: Gettext domains, one per package: each keeps its own catalog so packages change independently.
DOMAINS = (
    "core",
    "accounts",
    "regions",
    "admin",
    "courses",
    "media",
    "quizzes",
    "progress",
    "certificates",
    "outreach",
    "reports",
    "community",
    "evaluation",
)
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
PACKAGE_DIR = Path(__file__).resolve().parent
#: Names of the interface languages, each in its own language, for the switcher.
UI_LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English", "jv": "Basa Jawa", "su": "Basa Sunda"}
#: Locales whose catalogs must be complete; the others fall back to Indonesian, string by string.
COMPLETE_LOCALES = ("id", "en")


class FallbackDomain(Domain):
    """Merge every package's catalog and let a partial catalog fall back to Indonesian."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        #: The merged catalog of each locale, built once per process: a page asks for it with every string.
        self._catalogs: dict[str, Translations] = {}

    def get_translations(self):
        locale = get_locale()
        if locale is None:  # no application context: no catalog
            return super().get_translations()
        key = str(locale)
        translations = self._catalogs.get(key)
        if translations is None:
            translations = super().get_translations()
            if key not in COMPLETE_LOCALES and not getattr(translations, "falls_back", False):
                translations.add_fallback(_load_merged("id"))
                translations.falls_back = True
            self._catalogs[key] = translations
        return translations


def _load_merged(locale: str) -> Translations:
    merged = Translations()
    for domain in DOMAINS:
        merged.merge(Translations.load(str(TRANSLATIONS_DIR), [locale], domain))
    return merged


def ui_locale_for(language: str | None) -> str | None:
    """Return the interface locale for a language tag, or None when it has no catalog."""
    if not language:
        return None
    primary = language.replace("_", "-").split("-")[0].lower()
    return primary if primary in current_app.config["UI_LOCALES"] else None


def select_locale() -> str:
    """Choose the interface locale: the user's choice, then the browser's, then Indonesian."""
    if current_user.is_authenticated:
        chosen = ui_locale_for(current_user.language)
        if chosen:
            return chosen
        if current_user.language:
            return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = ui_locale_for(session.get("language"))
    if chosen:
        return chosen
    if request:
        best = request.accept_languages.best_match(current_app.config["UI_LOCALES"])
        if best:
            return best
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def language_name(tag: str) -> str:
    """Return a language's own name, for tags CLDR knows; else the tag itself."""
    if tag in UI_LANGUAGE_NAMES:
        return UI_LANGUAGE_NAMES[tag]
    try:
        return Locale.parse(tag.replace("-", "_")).get_display_name(tag.replace("-", "_")).capitalize()
    except (ValueError, TypeError, LookupError):
        return tag


def init_app(app, babel) -> None:
    """Attach Babel with the per-package catalogs and the locale selector."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", ";".join([str(TRANSLATIONS_DIR)] * len(DOMAINS)))
    app.config.setdefault("BABEL_DOMAIN", ";".join(DOMAINS))
    babel.init_app(app, locale_selector=select_locale)
    domain = babel.domain_instance = FallbackDomain(
        translation_directories=[str(TRANSLATIONS_DIR)] * len(DOMAINS), domain=";".join(DOMAINS)
    )
    # Templates ask the catalog directly: Flask-Babel's own callables look the domain up again for every string.
    app.jinja_env.install_gettext_callables(
        gettext=lambda text: domain.get_translations().ugettext(text),
        ngettext=lambda singular, plural, n: domain.get_translations().ungettext(singular, plural, n),
        pgettext=lambda context, text: domain.get_translations().upgettext(context, text),
        npgettext=lambda context, singular, plural, n: domain.get_translations().unpgettext(
            context, singular, plural, n
        ),
        newstyle=True,
    )
    app.jinja_env.globals.update(get_locale=get_locale, ui_language_names=UI_LANGUAGE_NAMES)
    app.cli.add_command(translate_cli)


# --- Catalog maintenance -------------------------------------------------------------------------

translate_cli = AppGroup("translate", help="Maintain the interface catalogs in translations/.")


def _sources(domain: str) -> list[str]:
    if domain == "core":
        return [str(p) for p in PACKAGE_DIR.glob("*.py")] + [str(PACKAGE_DIR / "core"), str(PACKAGE_DIR / "templates")]
    return [str(PACKAGE_DIR / domain)]


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, capture_output=True)


def extract(domain: str) -> Path:
    """Extract a package's marked strings into translations/<domain>.pot."""
    pot = TRANSLATIONS_DIR / f"{domain}.pot"
    sources = [s for s in _sources(domain) if Path(s).exists()]
    if not sources:
        pot.write_text("")
        return pot
    _pybabel(
        "extract", "-F", str(TRANSLATIONS_DIR / "babel.cfg"), "-k", "_l", "-k", "lazy_pgettext:1c,2",
        "--no-location", "--sort-output", "--omit-header", "-o", str(pot), *sources,
    )  # fmt: skip
    return pot


@translate_cli.command("update")
@click.option("--domain", "only", type=click.Choice(DOMAINS), help="Only this package's catalogs.")
def update_catalogs(only: str | None) -> None:
    """Extract every package's strings and merge them into each locale's catalog."""
    for domain in [only] if only else DOMAINS:
        pot = extract(domain)
        for locale in current_app.config["UI_LOCALES"]:
            with pot.open("rb") as handle:
                template = read_po(handle)  # read anew per locale: update() shares its messages with the catalog
            po_path = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / f"{domain}.po"
            po_path.parent.mkdir(parents=True, exist_ok=True)
            if po_path.exists():
                with po_path.open("rb") as handle:
                    catalog = read_po(handle, locale=locale)
            else:
                catalog = read_po(pot.open("rb"), locale=locale)
                for message in catalog:
                    if message.id:
                        message.string = "" if not isinstance(message.id, tuple) else ("", "")
            catalog.update(template, no_fuzzy_matching=True)
            catalog.obsolete.clear()
            if locale == "en":
                for message in catalog:  # English is the source language of the interface strings
                    if message.id and not message.string:
                        message.string = message.id if not isinstance(message.id, tuple) else message.id
            with po_path.open("wb") as handle:
                write_po(handle, catalog, omit_header=False, no_location=True, sort_output=True, width=100)
        pot.unlink()
    click.echo("Catalogs updated: translate the empty msgstr entries, then run `flask translate compile`.")


@translate_cli.command("compile")
def compile_catalogs_command() -> None:
    """Compile every catalog to .mo."""
    compile_catalogs()
    click.echo("Catalogs compiled.")


def compile_catalogs() -> None:
    """Compile every .po under translations/ to .mo beside it."""
    from babel.messages.mofile import write_mo

    for po_path in TRANSLATIONS_DIR.glob("*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as handle:
            catalog = read_po(handle)
        # Written aside and renamed: a second process compiling or reading at the same time never sees half a file.
        partial = mo_path.with_suffix(f".mo.{os.getpid()}")
        with partial.open("wb") as handle:
            write_mo(handle, catalog)
        os.replace(partial, mo_path)


def content_languages() -> list[tuple[str, str]]:
    """Return the enabled content languages as (tag, own name), in the admin's order."""
    from lms.core.models import Language
    from lms.extensions import db

    rows = db.session.execute(
        db.select(Language.code, Language.name).where(Language.is_enabled).order_by(Language.position, Language.code)
    )
    return [(code, name) for code, name in rows]
