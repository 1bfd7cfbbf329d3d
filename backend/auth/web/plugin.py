"""The auth domain in the app: sign-in, "me", the team, invitations, tokens; who may use the API."""

from __future__ import annotations

from backend.auth.principal_cache import PrincipalCache
from backend.auth.web import api, invitations, live, pages, team, tokens
from backend.auth.web.guards import may_use_api
from backend.realtime.describe import sentences_of
from backend.web.plugin import DomainPlugin

PLUGIN = DomainPlugin(
    name="auth",
    api=api.ROUTES,
    pages=[*pages.ROUTES, *team.ROUTES, *invitations.ROUTES, *tokens.ROUTES],
    api_guards=[may_use_api],  # every API route: a token works only while its account holds api.use
    topic_rules=live.TOPIC_RULES,
    quiet=["user.signed_out"],
    describers=sentences_of("user."),
    state=lambda site: {"principals": PrincipalCache()},
)
