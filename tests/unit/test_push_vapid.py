"""The VAPID key: made once in the data directory (owner-only), or given by the environment."""

from __future__ import annotations

import stat
from dataclasses import replace
from pathlib import Path

import pytest

from backend.kernel.settings import Settings
from backend.push.vapid import KEY_FILE, generate_private_key, load_keys


def settings(tmp_path: Path, **changes: str) -> Settings:
    return replace(Settings(data_dir=tmp_path, database_url="sqlite://"), **changes)


def test_made_on_first_use_kept_owner_only_and_reused(tmp_path: Path) -> None:
    first = load_keys(settings(tmp_path))
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
    assert load_keys(settings(tmp_path)).public_key == first.public_key
    assert len(first.public_key) == 87  # 65 bytes, base64url without padding


def test_the_environment_wins_and_a_wrong_public_half_stops_the_start(tmp_path: Path) -> None:
    private = generate_private_key()
    given = load_keys(settings(tmp_path, vapid_private_key=private))
    assert not (tmp_path / KEY_FILE).exists()
    assert load_keys(settings(tmp_path, vapid_private_key=private, vapid_public_key=given.public_key))
    with pytest.raises(SystemExit):
        load_keys(settings(tmp_path, vapid_private_key=private, vapid_public_key="B" + "A" * 86))
