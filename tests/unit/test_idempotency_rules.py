from __future__ import annotations

from backend.idempotency.rules import fingerprint_form, fingerprint_raw, is_valid_key


def test_a_form_fingerprint_ignores_csrf_tokens_key_and_field_order() -> None:
    a = fingerprint_form("POST", "/me", "", [("name", "A"), ("_csrf_token", "t1"), ("version", "1")])
    b = fingerprint_form("POST", "/me", "", [("version", "1"), ("name", "A"), ("_csrf_token", "t2")])
    assert a == b


def test_a_different_value_path_or_method_changes_the_fingerprint() -> None:
    base = fingerprint_form("POST", "/me", "", [("name", "A")])
    assert base != fingerprint_form("POST", "/me", "", [("name", "B")])
    assert base != fingerprint_form("POST", "/you", "", [("name", "A")])
    assert fingerprint_raw("PATCH", "/x", "", b"{}") != fingerprint_raw("POST", "/x", "", b"{}")


def test_keys_are_short_printable_and_unpadded() -> None:
    assert is_valid_key("9f1c-offline-42")
    for bad in ("", " padded", "x" * 201, "line\nbreak"):
        assert not is_valid_key(bad)
