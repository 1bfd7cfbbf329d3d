"""The ``comptoir`` command."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import click

from backend.auth.rules import Role
from backend.kernel import migrations
from backend.kernel.settings import from_env
from backend.ops.data_dir import require_writable

if TYPE_CHECKING:
    from backend.kernel.db import Database

T = TypeVar("T")


@click.group()
def main() -> None:
    """Comptoir: order management for shops that sell and deliver."""


@main.command()
@click.option("--host", default=None, help="Address to listen on (default: COMPTOIR_HOST).")
@click.option("--port", type=int, default=None, help="Port (default: COMPTOIR_PORT).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True)
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the app with uvicorn; Ctrl-C or SIGTERM stops it cleanly (exit status 0)."""
    import uvicorn

    from backend.web import serving

    # The app (in each worker) reads its settings from the environment: an address given here is
    # the one its links and its socket origin check must name too, unless COMPTOIR_BASE_URL says.
    for name, given in (("COMPTOIR_HOST", host), ("COMPTOIR_PORT", port)):
        if given is not None:
            os.environ[name] = str(given)
    settings = from_env()
    require_writable(settings)
    if workers == 1 and settings.database_url.startswith("sqlite"):
        from backend.kernel.writer_process import warm_up

        warm_up()  # its import of the app runs beside uvicorn's
    config = uvicorn.Config(
        "backend.app:served_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        proxy_headers=False,
        access_log=False,
        http="httptools",  # a third more pages a second than the pure-Python parser
        ws="websockets-sansio",
        # Each socket would compress each live message for itself (a queue's hundred sockets, a
        # hundred times): a seventh of the server's time under a fan-out, for fragments of a few KB.
        ws_per_message_deflate=False,
        log_level="warning",
    )
    serving.run(config)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    settings = from_env()
    require_writable(settings)
    migrations.upgrade(settings.database_url, revision)
    click.echo(f"database at {revision}", err=True)


@main.command()
@click.option("--if-empty", is_flag=True, help="Only when the database has no accounts yet.")
@click.option("--orders", default=200, show_default=True, help="How many demo orders (the newest first).")
def demo(if_empty: bool, orders: int) -> None:
    """Load demo data (safe to run again: what exists is kept)."""
    from backend.demo.shop import has_accounts, load_demo

    settings = from_env()
    if if_empty and asyncio.run(has_accounts(settings)):
        click.echo("accounts exist; demo data not loaded", err=True)
        return
    created = asyncio.run(load_demo(settings, orders))
    click.echo(f"demo data ready ({created} new records)", err=True)


@main.command()
def vendor() -> None:
    """Keep same-origin copies of the pinned htmx scripts, fetched with npm and checked by hash."""
    from backend.web import vendoring

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
    from backend.kernel.db import Database

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


@user.command("password")
@click.argument("email")
@click.option("--password", envvar="COMPTOIR_NEW_PASSWORD", default=None, help="Or COMPTOIR_NEW_PASSWORD.")
def user_password(email: str, password: str | None) -> None:
    """Set a new password; every session of the account ends and every API token is revoked."""
    from backend.auth.service import AccountError, reset_password

    if password is None:
        if not sys.stdin.isatty():
            raise click.UsageError("give --password (or COMPTOIR_NEW_PASSWORD) when not at a terminal")
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        revoked = _with_database(lambda db: reset_password(db, email, password))
    except AccountError as exc:
        raise click.ClickException(f"cannot change the password of {email}: {exc.code}") from exc
    click.echo(f"password of {email} changed; signed out everywhere, {revoked} API tokens revoked", err=True)


@main.group()
def token() -> None:
    """API tokens."""


def _with_database(work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work`` against the configured database, then close it."""
    from backend.kernel.db import Database

    async def run() -> T:
        database = Database(from_env().database_url)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(run())


@token.command("create")
@click.option("--user", "email", required=True, help="E-mail of the account the token acts for.")
@click.option("--label", default="", help="What the token is for.")
@click.option(
    "--expires", default="", help="In N days (90 or 90d) or on an ISO date (2027-01-31); default never."
)
def token_create(email: str, label: str, expires: str) -> None:
    """Create a bearer token; only the token is printed on stdout. The account must hold api.use."""
    from backend.auth.rules import token_expiry
    from backend.auth.service import AccountError, create_api_token
    from backend.kernel.db import utcnow

    try:
        expires_at = token_expiry(expires, utcnow())
    except ValueError as exc:
        raise click.BadParameter(f"{expires!r}: {exc}", param_hint="--expires") from exc
    try:
        click.echo(_with_database(lambda db: create_api_token(db, email, label, expires_at=expires_at)))
    except AccountError as exc:
        reason = {"not_found": f"no account {email}", "api_not_allowed": f"{email} may not use the API"}
        raise click.ClickException(reason.get(exc.code, f"cannot create a token: {exc.code}")) from exc


@token.command("list")
@click.option("--user", "email", default=None, help="Only this account's tokens.")
def token_list(email: str | None) -> None:
    """Every token (or one account's), newest first, revoked and expired ones included."""
    from backend.auth.models import User
    from backend.auth.tokens import list_tokens

    where = User.email == email.strip().lower() if email else None
    rows = _with_database(lambda db: list_tokens(db, where))
    click.echo("id\tuser\tlabel\tcreated\tlast used\texpires\tstatus")
    for row in rows:
        moments = (row.created_at, row.last_used_at, row.expires_at)
        when = ["-" if m is None else m.isoformat(timespec="minutes") for m in moments]
        click.echo("\t".join([str(row.id), row.user_email, row.label or "-", *when, row.status.value]))


@token.command("revoke")
@click.argument("token_ids", type=int, nargs=-1, required=True)
def token_revoke(token_ids: tuple[int, ...]) -> None:
    """Revoke tokens by id (see ``token list``); they stop working at once in every process."""
    from backend.auth.service import AccountError
    from backend.auth.tokens import revoke_token

    for token_id in token_ids:
        try:
            _with_database(lambda db, token_id=token_id: revoke_token(db, token_id, None))
        except AccountError as exc:
            raise click.ClickException(f"no token {token_id}") from exc
        click.echo(f"revoked token {token_id}", err=True)


@main.group()
def i18n() -> None:
    """Translation catalogs (frontend/locale)."""


@i18n.command("extract")
def i18n_extract() -> None:
    """Extract messages to messages.pot and update every language's .po (translations are kept)."""
    from backend.i18n import catalogs as i18n_catalogs

    for update in i18n_catalogs.update_catalogs():
        change = f"+{len(update.added)} -{len(update.removed)}" if update.written else "unchanged"
        path = update.path.relative_to(i18n_catalogs.ROOT)
        click.echo(f"{path}: {update.total} messages, {change}", err=True)


@i18n.command("check")
def i18n_check() -> None:
    """Fail, listing them, when translated languages have missing, empty, fuzzy or broken messages."""
    from backend.i18n import catalogs as i18n_catalogs

    problems = i18n_catalogs.check()
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} translation problems; fix them in the .po files")
    click.echo("translations are complete", err=True)


if __name__ == "__main__":
    main()
