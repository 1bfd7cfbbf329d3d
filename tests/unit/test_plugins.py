"""Each app is assembled from its own plugins: what one app's plugins bring (routes, topic rules,
fragments, template globals, navigation, per-process state) is that app's alone."""

from __future__ import annotations

from dataclasses import replace

from backend.app import PLUGINS, create_app
from backend.auth.principal import Principal
from backend.auth.rules import ROLE_PERMISSIONS, Role
from backend.auth.web import plugin as auth
from backend.dashboard.web import plugin as dashboard
from backend.kernel.events import Event
from backend.ops.web import plugin as ops
from backend.pwa.web import plugin as pwa
from backend.realtime.web import plugin as realtime
from backend.shop.web import plugin as shop
from backend.web.plugin import DomainPlugin
from tests.api.conftest import test_settings

FEW = (auth.PLUGIN, shop.PLUGIN, dashboard.PLUGIN, realtime.PLUGIN, pwa.PLUGIN, ops.PLUGIN)
PLACED = Event(type="order.placed", subject="order:3", data={"number": "ORD-3"})
BELL = Event(type="bell.rung", subject="bell:1", data={})


def _bell_rings_for(event: Event) -> set[str]:
    return {"belfry"}


BELL_PLUGIN = DomainPlugin(
    name="bell",
    topic_rules=[("bell.*", _bell_rings_for)],
    fragments={"bell.rung": ["bell/_live.html"]},
    quiet=["bell.rung"],
    template_globals={"bell_sound": lambda: "ding"},
)


def _app(tmp_path, name: str, plugins=PLUGINS):
    return create_app(test_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/{name}.db"), plugins)


def _paths(app) -> set[str]:
    return {route.path for route in app.routes}


def _nav(app, role: Role) -> str:
    principal = Principal(7, "a@b.test", "A", role, None, ROLE_PERMISSIONS[role], "session", "h")
    return str(app.state.site.templates.globals["bottom_nav"](principal, "/"))


def test_apps_with_different_plugins_do_not_see_each_others_parts(tmp_path) -> None:
    full = _app(tmp_path, "full", (*PLUGINS, BELL_PLUGIN))
    few = _app(tmp_path, "few", FEW)
    full_live, few_live = full.state.site.live, few.state.site.live

    assert full_live.topics_for(PLACED) == {"orders", "track:3"}
    assert few_live.topics_for(PLACED) == {"staff"}  # no order rules here: the team's default
    assert full_live.topics_for(BELL) == {"belfry"}
    assert few_live.topics_for(BELL) == {"staff"}
    assert full_live.fragments_for("bell.rung") == ["bell/_live.html"]
    assert few_live.fragments_for("bell.rung") == []
    assert full_live.is_quiet("bell.rung")
    assert not few_live.is_quiet("bell.rung")
    assert few_live.template_for("track:3") == "realtime/_event.html" != full_live.template_for("track:3")
    assert "live_product_row" in full.state.site.templates.globals
    assert "bell_sound" not in few.state.site.templates.globals
    assert few_live.describe(PLACED, "Olive") == "Olive: order.placed"  # orders' sentences not here
    assert full_live.describe(PLACED, "Olive") == "New order ORD-3 ()"

    assert "/orders" in _paths(full)
    assert "/api/v1/products" in _paths(full)
    assert "/orders" not in _paths(few)
    assert not any(path.startswith("/api/v1/products") for path in _paths(few))
    assert 'href="/orders"' in _nav(full, Role.STAFF)
    assert 'href="/orders"' not in _nav(few, Role.STAFF)
    assert 'href="/more"' in _nav(few, Role.STAFF)
    assert hasattr(full.state, "offer")
    assert not hasattr(few.state, "offer")


def test_the_same_plugins_twice_make_two_apps_sharing_nothing(tmp_path) -> None:
    first, second = _app(tmp_path, "first"), _app(tmp_path, "second")
    for name in ("site", "shop", "principals", "categories", "offer", "feeds", "storage", "health"):
        assert getattr(first.state, name) is not getattr(second.state, name), name
    one, two = first.state.site, second.state.site
    assert one.templates is not two.templates
    # Building again adds nothing twice: each app holds its plugins' rules once.
    assert len(one.live.topic_rules) == len(two.live.topic_rules) == sum(len(p.topic_rules) for p in PLUGINS)
    assert two.live.fragments_for("stock.changed") == [
        "catalog/_live_stock.html",
        "inventory/_live_levels.html",
    ]
    assert _nav(first, Role.OWNER) == _nav(second, Role.OWNER)
    assert one.api.guards == two.api.guards == [auth.PLUGIN.api_guards[0]]


def test_a_plugin_added_to_one_site_leaves_the_others_alone() -> None:
    without = DomainPlugin.assemble(PLUGINS)
    with_bell = DomainPlugin.assemble([*PLUGINS, replace(BELL_PLUGIN, name="bell again")])
    assert with_bell.live.topics_for(BELL) == {"belfry"}
    assert without.live.topics_for(BELL) == {"staff"}
    assert DomainPlugin.assemble(PLUGINS).live.topics_for(BELL) == {"staff"}


def test_a_rule_added_after_an_event_was_published_applies_to_the_next() -> None:
    """The rules matching an event type are looked up once and kept; adding rules starts over."""
    live = DomainPlugin.assemble(FEW).live
    assert live.topics_for(BELL) == {"staff"}
    live.add_topic_rules(BELL_PLUGIN.topic_rules)
    assert live.topics_for(BELL) == {"belfry"}
    live.add_topic_rules([("bell.rung", lambda event: {"tower"})])
    assert live.topics_for(BELL) == {"belfry", "tower"}
