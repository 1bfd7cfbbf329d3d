"""The auth domain in the app: sign-in, "me", the team, invitations, tokens; who may use the API."""

from __future__ import annotations

from backend.auth import events
from backend.auth.principal_cache import PrincipalCache
from backend.auth.web import api, invitations, live, pages, team, tokens
from backend.auth.web.guards import may_use_api
from backend.web.plugin import DomainPlugin, sentences

PLUGIN = DomainPlugin(
    name="auth",
    api=api.ROUTES,
    pages=[*pages.ROUTES, *team.ROUTES, *invitations.ROUTES, *tokens.ROUTES],
    api_guards=[may_use_api],  # every API route: a token works only while its account holds api.use
    topic_rules=live.TOPIC_RULES,
    quiet=["user.signed_out"],
    describers=sentences(events.SENTENCES),
    state=lambda site: {"principals": PrincipalCache()},
)
