"""The ``comptoir`` command."""

from __future__ import annotations

import asyncio
import sys

import click

from backend import migrations
from backend.auth.rules import Role
from backend.settings import from_env


@click.group()
def main() -> None:
    """Comptoir: order management for shops that sell and deliver."""


@main.command()
@click.option("--host", default=None, help="Address to listen on (default: COMPTOIR_HOST).")
@click.option("--port", type=int, default=None, help="Port (default: COMPTOIR_PORT).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True)
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the app with uvicorn."""
    import uvicorn

    settings = from_env()
    if workers == 1 and settings.database_url.startswith("sqlite"):
        from backend.writer_process import warm_up

        warm_up()  # its import of the app runs beside uvicorn's
    uvicorn.run(
        "backend.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        proxy_headers=False,
        access_log=False,
        http="httptools",  # a third more pages a second than the pure-Python parser
        ws="websockets-sansio",
        log_level="warning",
    )


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    migrations.upgrade(from_env().database_url, revision)
    click.echo(f"database at {revision}", err=True)


@main.command()
@click.option("--if-empty", is_flag=True, help="Only when the database has no accounts yet.")
@click.option("--orders", default=200, show_default=True, help="How many demo orders (the newest first).")
def demo(if_empty: bool, orders: int) -> None:
    """Load demo data (safe to run again: what exists is kept)."""
    from backend.demo import has_accounts, load_demo

    settings = from_env()
    if if_empty and asyncio.run(has_accounts(settings)):
        click.echo("accounts exist; demo data not loaded", err=True)
        return
    created = asyncio.run(load_demo(settings, orders))
    click.echo(f"demo data ready ({created} new records)", err=True)


@main.command()
def vendor() -> None:
    """Keep same-origin copies of the pinned htmx scripts, fetched with npm and checked by hash."""
    from backend import vendoring

    try:
        written = vendoring.vendor()
    except vendoring.NpmNotFoundError:
        click.echo("warning: npm not found; htmx is not vendored, pages load it from the CDN only", err=True)
        return
    except vendoring.VendorError as exc:
        raise click.ClickException(f"{exc} (nothing was written)") from exc
    click.echo(f"vendored {', '.join(written)}" if written else "vendored scripts are up to date", err=True)


@main.group()
def user() -> None:
    """Accounts."""


@user.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", default=None, help="Display name (default: the part before @).")
@click.option("--password", envvar="COMPTOIR_NEW_PASSWORD", default=None, help="Or COMPTOIR_NEW_PASSWORD.")
def user_add(email: str, role: str, name: str | None, password: str | None) -> None:
    """Create an account."""
    from backend.auth.service import AccountError, create_user
    from backend.db import Database

    if password is None:
        if not sys.stdin.isatty():
            raise click.UsageError("give --password (or COMPTOIR_NEW_PASSWORD) when not at a terminal")
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def add() -> None:
        database = Database(from_env().database_url)
        try:
            await create_user(database, email, name or email.split("@", maxsplit=1)[0], Role(role), password)
        finally:
            await database.dispose()

    try:
        asyncio.run(add())
    except AccountError as exc:
        raise click.ClickException(f"cannot add {email}: {exc.code}") from exc
    click.echo(f"added {email} as {role}", err=True)


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.option("--user", "email", required=True, help="E-mail of the account the token acts for.")
@click.option("--label", default="", help="What the token is for.")
def token_create(email: str, label: str) -> None:
    """Create a bearer token; only the token is printed on stdout."""
    from backend.auth.service import AccountError, create_api_token
    from backend.db import Database

    async def create() -> str:
        database = Database(from_env().database_url)
        try:
            return await create_api_token(database, email, label)
        finally:
            await database.dispose()

    try:
        click.echo(asyncio.run(create()))
    except AccountError as exc:
        raise click.ClickException(f"no account {email}") from exc


@main.group()
def i18n() -> None:
    """Translation catalogs (frontend/locale)."""


@i18n.command("extract")
def i18n_extract() -> None:
    """Extract messages to messages.pot and update every language's .po (translations are kept)."""
    from backend import i18n_catalogs

    for update in i18n_catalogs.update_catalogs():
        change = f"+{len(update.added)} -{len(update.removed)}" if update.written else "unchanged"
        path = update.path.relative_to(i18n_catalogs.ROOT)
        click.echo(f"{path}: {update.total} messages, {change}", err=True)


@i18n.command("check")
def i18n_check() -> None:
    """Fail, listing them, when translated languages have missing, empty, fuzzy or broken messages."""
    from backend import i18n_catalogs

    problems = i18n_catalogs.check()
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} translation problems; fix them in the .po files")
    click.echo("translations are complete", err=True)


if __name__ == "__main__":
    main()
