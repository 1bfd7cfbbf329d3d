from __future__ import annotations

from sqlalchemy import func, select

from backend.auth.models import User, WebSession
from backend.auth.rules import Role
from backend.auth.web.middleware import SESSION_COOKIE
from backend.kernel.events import Event
from tests.api.conftest import PASSWORD, PEOPLE, Harness, MakeHarness, post_form, sign_in


async def _owner(harness: Harness) -> User:
    async with harness.db.read() as session:
        return await session.get_one(User, harness.users[Role.OWNER].id)


async def test_changing_name_and_language_saves_and_records_an_event(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as client:
        response = await post_form(client, "/me", {"name": "Olive O.", "locale": "fr", "version": "1"})
        assert response.status_code == 303
        page = await client.get("/me")
    owner = await _owner(harness)
    assert (owner.name, owner.locale, owner.version) == ("Olive O.", "fr", 2)
    assert 'lang="fr"' in page.text
    async with harness.db.read() as session:
        event = await session.scalar(select(Event).where(Event.type == "user.profile_updated"))
    assert event.data["changes"]["name"] == ["Olive Owner", "Olive O."]


async def test_a_stale_version_is_refused_and_nothing_is_changed(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as client:
        await post_form(client, "/me", {"name": "First edit", "locale": "", "version": "1"})
        response = await post_form(client, "/me", {"name": "Second edit", "locale": "", "version": "1"})
    assert response.status_code == 409
    assert "changed this in the meantime" in response.text
    assert (await _owner(harness)).name == "First edit"


async def test_an_empty_name_or_unknown_language_is_shown_as_field_errors(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as client:
        empty = await post_form(client, "/me", {"name": "  ", "locale": "", "version": "1"})
        bad_locale = await post_form(client, "/me", {"name": "Olive", "locale": "xx", "version": "1"})
        bad_version = await post_form(client, "/me", {"name": "Olive", "locale": "", "version": "one"})
    assert empty.status_code == bad_locale.status_code == bad_version.status_code == 400
    assert "Enter a name" in empty.text
    assert "Choose one of the offered languages" in bad_locale.text
    assert (await _owner(harness)).version == 1


async def test_changing_the_password_signs_out_other_devices_only(harness: Harness) -> None:
    email = PEOPLE[Role.OWNER][0]
    async with harness.client() as phone, harness.client() as laptop:
        await sign_in(phone, email, PASSWORD)
        await sign_in(laptop, email, PASSWORD)
        data = {"current_password": PASSWORD, "new_password": "a much newer secret"}
        response = await post_form(phone, "/me/password", data)
        assert response.status_code == 303
        assert (await phone.get("/me")).status_code == 200
        assert (await laptop.get("/me")).status_code == 401
    async with harness.client() as client:
        assert (await sign_in(client, email, "a much newer secret")).status_code == 303


async def test_a_wrong_current_password_or_short_new_one_is_refused(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as client:
        wrong = await post_form(
            client, "/me/password", {"current_password": "nope", "new_password": "long enough pass"}
        )
        short = await post_form(
            client, "/me/password", {"current_password": PASSWORD, "new_password": "short"}
        )
    assert wrong.status_code == short.status_code == 400
    assert "not your current password" in wrong.text
    assert "at least 10 characters" in short.text
    async with harness.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(WebSession)) == 1


async def test_guesses_at_the_current_password_are_limited_across_processes(
    make_harness: MakeHarness,
) -> None:
    first = await make_harness(login_attempts_per_window=3)
    second = await make_harness(login_attempts_per_window=3)  # another process, same database
    wrong = {"current_password": "not the password", "new_password": "a much newer secret"}
    async with first.signed_in(Role.OWNER) as here, second.client() as there:
        there.cookies[SESSION_COOKIE] = here.cookies[SESSION_COOKIE]
        tries = [
            (await post_form(client, "/me/password", wrong)).status_code for client in (here, there, here)
        ]
        right = {"current_password": PASSWORD, "new_password": "a much newer secret"}
        blocked = await post_form(there, "/me/password", right)
    assert tries == [400, 400, 400]
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert "Too many attempts" in blocked.text
    async with first.client("198.51.100.5") as client:
        assert (await sign_in(client, PEOPLE[Role.OWNER][0], PASSWORD)).status_code == 303


async def test_a_common_password_is_refused_with_a_form_error(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as client:
        data = {"current_password": PASSWORD, "new_password": "Password123"}
        response = await post_form(client, "/me/password", data)
    assert response.status_code == 400
    assert "one of the most common" in response.text
    async with harness.client() as client:
        assert (await sign_in(client, PEOPLE[Role.OWNER][0], PASSWORD)).status_code == 303
