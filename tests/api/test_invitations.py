"""Invitations to join the team: the owner makes a single-use link; opening it lets the person set
a password and signs them in; used, expired and revoked links say so, and only owners invite."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from backend.auth.models import Invitation, User
from backend.auth.principal import hash_credential
from backend.auth.rules import Role
from backend.kernel.db import utcnow
from backend.kernel.events import Event
from tests.api.conftest import PEOPLE, Harness, MakeHarness, post_form
from tests.writing import add, update_all

NEW = {"name": "Noor Nouveau", "email": "Noor@Shop.test", "role": "driver"}
GOOD_PASSWORD = "a long walk to the market"


async def _invite(client: httpx.AsyncClient, **changes: str) -> httpx.Response:
    return await post_form(client, "/team/invitations", {**NEW, **changes})


def _link(page: httpx.Response) -> str:
    """The path of the link shown once on the team page."""
    text = page.text.split('id="invitation-link"')[1].split(">", 1)[1].split("</textarea>")[0]
    return "/invite/" + text.strip().split("/invite/")[1]


async def _invitation(harness: Harness) -> Invitation:
    async with harness.db.read() as session:
        return await session.scalar(select(Invitation).order_by(Invitation.id.desc()))


async def _accounts(harness: Harness, email: str = "noor@shop.test") -> int:
    async with harness.db.read() as session:
        return await session.scalar(select(func.count()).select_from(User).where(User.email == email))


async def _accept(client: httpx.AsyncClient, link: str, password: str = GOOD_PASSWORD) -> httpx.Response:
    return await post_form(client, link, {"password": password})


async def test_an_invitation_is_a_link_shown_once_whose_token_is_stored_hashed_and_expires_in_a_week(
    harness: Harness,
) -> None:
    async with harness.signed_in(Role.OWNER) as owner:
        created = await _invite(owner)
        team = await owner.get("/team")
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    link = _link(created)
    token = link.removeprefix("/invite/")
    assert len(token) >= 43  # 32 random bytes, URL-safe base64: 256 bits
    assert "http://testserver/invite/" not in team.text
    assert token not in team.text
    invitation = await _invitation(harness)
    assert invitation.token_hash == hash_credential(token)
    assert token not in (invitation.token_hash, invitation.email, invitation.name)
    assert (invitation.email, invitation.role) == ("noor@shop.test", "driver")
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    assert 'data-status="pending"' in team.text
    assert "Noor Nouveau" in team.text
    async with harness.db.read() as session:
        event = await session.scalar(select(Event).where(Event.type == "user.invited"))
    assert event.data == {"invitation_id": invitation.id, "name": "Noor Nouveau", "role": "driver"}


async def test_opening_the_link_then_choosing_a_password_signs_the_person_in_once(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as owner:
        link = _link(await _invite(owner))
    async with harness.client() as newcomer:
        form = await newcomer.get(link)
        too_short = await _accept(newcomer, link, "short")
        common = await _accept(newcomer, link, "password1234")
        accepted = await _accept(newcomer, link)
        home = await newcomer.get("/", follow_redirects=True)  # a driver's home is their run
        me = await newcomer.get("/me")
        again = await _accept(newcomer, link, "another long password")
    assert form.status_code == 200
    assert form.headers["cache-control"] == "no-store"
    assert 'value="noor@shop.test"' in form.text
    assert 'autocomplete="new-password"' in form.text
    assert too_short.status_code == common.status_code == 400
    assert "at least 10 characters" in too_short.text
    assert "most common" in common.text
    assert accepted.status_code == 303
    assert accepted.headers["location"] == "/"
    assert home.status_code == 200
    assert "Noor Nouveau" in me.text
    assert again.status_code == 410
    assert "already used" in again.text
    assert await _accounts(harness) == 1
    async with harness.db.read() as session:
        user = await session.scalar(select(User).where(User.email == "noor@shop.test"))
        invitation = await session.scalar(select(Invitation))
        joined = await session.scalar(select(Event).where(Event.type == "user.created"))
    assert (user.role, user.name) == ("driver", "Noor Nouveau")
    assert (invitation.user_id, invitation.used_at is not None) == (user.id, True)
    assert joined.subject == f"user:{user.id}"
    async with harness.client() as later:
        reopened = await later.get(link)
    assert reopened.status_code == 410
    assert "already used" in reopened.text


async def test_an_expired_link_is_refused_with_a_page_that_says_so(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as owner:
        link = _link(await _invite(owner))
        await harness.db.run(update_all, Invitation, expires_at=utcnow() - timedelta(seconds=1))
        team = await owner.get("/team")
    async with harness.client() as newcomer:
        opened = await newcomer.get(link)
        accepted = await _accept(newcomer, link)
    assert opened.status_code == accepted.status_code == 410
    assert "has expired" in opened.text
    assert "has expired" in accepted.text
    assert 'data-status="expired"' in team.text
    assert await _accounts(harness) == 0


async def test_a_revoked_link_stops_working_at_once_and_a_new_invitation_replaces_a_pending_one(
    harness: Harness,
) -> None:
    async with harness.signed_in(Role.OWNER) as owner:
        first = _link(await _invite(owner))
        second = _link(await _invite(owner))  # the first link was lost: invite again
        invitation = await _invitation(harness)
        revoked = await post_form(owner, f"/team/invitations/{invitation.id}/revoke", {})
        again = await post_form(owner, f"/team/invitations/{invitation.id}/revoke", {})
        missing = await post_form(owner, "/team/invitations/999/revoke", {})
        team = await owner.get(revoked.headers["location"])
    async with harness.client() as newcomer:
        pages = [await newcomer.get(link) for link in (first, second)]
        accepted = await _accept(newcomer, second)
    assert (revoked.status_code, again.status_code, missing.status_code) == (303, 303, 404)
    assert [page.status_code for page in pages] == [410, 410]
    assert all("was revoked" in page.text for page in pages)
    assert accepted.status_code == 410
    assert team.text.count('data-status="revoked"') == 2
    assert "The invitation is revoked" in team.text
    assert await _accounts(harness) == 0
    async with harness.db.read() as session:
        events = await session.scalar(
            select(func.count()).select_from(Event).where(Event.type == "user.invitation_revoked")
        )
    assert events == 1  # revoking a revoked invitation changes nothing


async def test_an_unknown_link_is_a_clear_404_never_an_error(harness: Harness) -> None:
    async with harness.client() as stranger:
        for link in ("/invite/not-a-token", "/invite/" + "x" * 500):
            opened = await stranger.get(link)
            accepted = await _accept(stranger, link)
            assert opened.status_code == accepted.status_code == 404
            assert "not valid" in opened.text


async def test_an_address_that_has_an_account_is_refused_and_so_is_a_link_whose_address_got_one(
    harness: Harness,
) -> None:
    async with harness.signed_in(Role.OWNER) as owner:
        taken = await _invite(owner, email=PEOPLE[Role.CUSTOMER][0].upper())
        link = _link(await _invite(owner))
    # The account was made meanwhile, from the command line.
    await harness.db.run(add, User(email="noor@shop.test", name="Noor", role="staff", password_hash="x"))
    async with harness.client() as newcomer:
        accepted = await _accept(newcomer, link)
    assert taken.status_code == 400
    assert "already has an account" in taken.text
    assert 'value="CUSTOMER@SHOP.TEST"' in taken.text  # what was typed stays
    assert accepted.status_code == 410
    assert "already exists" in accepted.text
    assert await _accounts(harness) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"role": "owner"}, "Choose staff or driver."),
        ({"role": "customer"}, "Choose staff or driver."),
        ({"email": "not an address"}, "Enter a valid e-mail address."),
        ({"name": "  "}, "Enter a name."),
    ],
)
async def test_a_wrong_invitation_form_is_shown_again_with_its_message(
    harness: Harness, changes: dict[str, str], message: str
) -> None:
    async with harness.signed_in(Role.OWNER) as owner:
        response = await _invite(owner, **changes)
    assert response.status_code == 400
    assert message in response.text
    assert 'id="invitation-link"' not in response.text
    assert await _invitation(harness) is None


@pytest.mark.parametrize("role", [Role.STAFF, Role.DRIVER, Role.CUSTOMER])
async def test_only_those_who_manage_users_invite_or_revoke(harness: Harness, role: Role) -> None:
    async with harness.signed_in(Role.OWNER) as owner:
        await _invite(owner)
    invitation = await _invitation(harness)
    async with harness.signed_in(role) as someone:
        page = await someone.get("/team")
        invited = await _invite(someone, email="other@shop.test")
        revoked = await post_form(someone, f"/team/invitations/{invitation.id}/revoke", {})
    async with harness.client() as anonymous:
        anonymous_invite = await _invite(anonymous, email="other@shop.test")
    assert (page.status_code, invited.status_code, revoked.status_code) == (403, 403, 403)
    assert anonymous_invite.status_code == 401
    assert (await _invitation(harness)).revoked_at is None
    async with harness.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Invitation)) == 1


async def test_guesses_at_links_are_throttled_per_address(make_harness: MakeHarness) -> None:
    harness = await make_harness(login_attempts_per_window=3)
    async with harness.client(address="198.51.100.9") as guesser:
        answers = [(await guesser.get(f"/invite/guess-{n}")).status_code for n in range(5)]
    async with harness.client(address="198.51.100.10") as other:
        elsewhere = await other.get("/invite/guess-x")
    assert answers == [404, 404, 404, 429, 429]
    assert elsewhere.status_code == 404


async def test_opening_a_link_that_works_is_no_guess_however_often(make_harness: MakeHarness) -> None:
    harness = await make_harness(login_attempts_per_window=3)
    async with harness.signed_in(Role.OWNER) as owner:
        link = _link(await _invite(owner))
    async with harness.client(address="198.51.100.11") as newcomer:
        opened = [(await newcomer.get(link)).status_code for _ in range(5)]
        guessed = [(await newcomer.get(f"/invite/guess-{n}")).status_code for n in range(4)]
    assert opened == [200] * 5  # the newcomer's phone opens the page again and again
    assert guessed == [404, 404, 404, 429]


async def test_the_lifetime_of_a_link_is_a_setting(make_harness: MakeHarness) -> None:
    harness = await make_harness(invitation_days=2)
    async with harness.signed_in(Role.OWNER) as owner:
        created = await _invite(owner)
    invitation = await _invitation(harness)
    assert invitation.expires_at - invitation.created_at == timedelta(days=2)
    assert "for 2 days" in created.text


async def test_a_double_tap_makes_one_invitation_and_never_shows_the_link_twice(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as owner:
        first = await _invite(owner, _idempotency_key="tap-1")
        second = await _invite(owner, _idempotency_key="tap-1")
        team = await owner.get(second.headers["location"])
    assert first.status_code == 201
    assert second.status_code == 303
    assert "already created and its link shown once" in team.text
    assert 'id="invitation-link"' not in team.text
    async with harness.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Invitation)) == 1
