"""What the app accepts from a request: ids, visible names, NUL-free text, strict JSON, photos."""

from __future__ import annotations

import io

import msgspec
import pytest
from litestar.exceptions import ClientException, ValidationException
from PIL import Image, ImageFile

from backend.catalog import photos
from backend.web import inputs
from backend.web.input_guard import decode_body


class Line(msgspec.Struct):
    sku: str
    quantity: int


class Body(msgspec.Struct):
    name: str
    lines: list[Line]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", 1),
        ("2147483647", inputs.MAX_ID),
        ("2147483648", None),
        ("9223372036854775808", None),
        ("0", None),
        ("-1", None),
        ("²", None),
        ("1_000", None),
        ("", None),
        (None, None),
    ],
)
def test_an_id_is_ascii_digits_within_what_an_id_column_holds(raw: str | None, expected: int | None) -> None:
    assert inputs.parse_id(raw) == expected


def test_a_number_may_be_zero_but_not_past_an_integer_column() -> None:
    assert inputs.parse_number("0") == 0
    assert inputs.parse_number("99999999999") is None


@pytest.mark.parametrize(
    "name", ["", "   ", "\u200b\u200b", "\u2060\ufeff", "\u200d\u200c", "\u3164", "\u0301"]
)
def test_names_with_nothing_visible_are_blank(name: str) -> None:
    assert inputs.is_blank(name)


@pytest.mark.parametrize("name", ["Ada", "\u200bAda", "é", "李", "🍏"])
def test_names_with_something_visible_are_not_blank(name: str) -> None:
    assert not inputs.is_blank(name)


def test_a_nul_is_found_wherever_it_hides_in_decoded_json() -> None:
    assert inputs.nul_at({"name": "Ada", "lines": [{"sku": "A"}, {"sku": "B\x00"}]}) == "lines[1].sku"
    assert inputs.nul_at({"a\x00": 1}) == "$"
    assert inputs.nul_at({"name": "Ada", "lines": []}) is None
    assert inputs.nul_at([[["x"]]] * 3) is None


def test_json_numbers_are_never_taken_from_strings() -> None:
    good = decode_body(b'{"name": "Ada", "lines": [{"sku": "A", "quantity": 2}]}', Body)
    assert good.lines[0].quantity == 2
    for bad in (b'"2"', b"2.5", b"true"):
        with pytest.raises(ValidationException):
            decode_body(b'{"name": "Ada", "lines": [{"sku": "A", "quantity": ' + bad + b"}]}", Body)


@pytest.mark.parametrize(
    "body",
    [b'{"name": "\xff\xfe"}', b"[" * 10_000 + b"]" * 10_000, b'{"name": ', b"\xef\xbb\xbf{}"],
)
def test_bodies_that_are_not_json_are_client_errors(body: bytes) -> None:
    with pytest.raises(ClientException) as raised:
        decode_body(body, Body)
    assert raised.value.status_code == 400


def test_a_nul_in_a_json_string_is_refused_naming_its_field() -> None:
    with pytest.raises(ValidationException) as raised:
        decode_body(b'{"name": "Ada", "lines": [{"sku": "A\\u0000", "quantity": 1}]}', Body)
    assert raised.value.extra == [{"key": "lines[0].sku", "message": raised.value.extra[0]["message"]}]


def test_a_36_megapixel_picture_is_refused_before_it_is_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.BytesIO()
    Image.new("1", (6000, 6000)).save(out, "PNG")  # a few kB on disk, 36 MP once decoded

    def no_decoding(self: ImageFile.ImageFile) -> None:
        raise AssertionError("the picture was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    with pytest.raises(photos.PhotoRejected) as raised:
        photos.resize(out.getvalue())
    assert raised.value.code == "photo_too_large"
