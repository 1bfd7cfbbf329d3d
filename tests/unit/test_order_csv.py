"""Reading a marketplace export without a database: orders grouped by reference, every problem
named by row and column, the file sealed between its preview and its confirmation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.orders import csv_import
from backend.orders.csv_import import KnownOrder, RowProblem
from backend.orders.drafts import WantedLine
from backend.orders.rules import Channel
from backend.orders.web import import_seal

HEADER = "external_ref,customer_name,email,phone,sku,quantity,fulfilment_mode,address_line1,city,postal_code,country,payment_method\n"
ADA = "M-1,Ada Lovelace,ada@example.com,+33 6 12 34 56 78,{sku},{quantity},delivery,1 rue de Rivoli,Paris,75001,FR,card\n"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _read(*rows: str, header: str = HEADER) -> csv_import.Preview:
    return csv_import.read((header + "".join(rows)).encode())


def _codes(preview: csv_import.Preview) -> list[tuple[int, str, str]]:
    return [(p.row, p.column, p.code) for p in preview.problems]


def test_rows_with_one_reference_are_one_order_with_a_line_each() -> None:
    preview = _read(
        ADA.format(sku="apple", quantity=2),
        "M-1,,,,PEAR,1,,,,,,\n",
        "M-2,Bob,bob@example.com,,PLUM,3,pickup,,,,,cash\n",
    )
    first, second = preview.orders
    assert first.lines == [WantedLine("APPLE", 2), WantedLine("PEAR", 1)]
    assert first.line_rows == [2, 3]
    assert [order.is_ready for order in preview.orders] == [True, True]
    draft = first.draft()
    assert (draft.channel, draft.external_ref, draft.customer.phone) == (
        Channel.MARKETPLACE,
        "M-1",
        "+33612345678",
    )
    assert draft.address is not None
    assert draft.address.city == "Paris"
    assert second.draft().address is None  # collected at a pickup point


def test_a_spreadsheet_export_with_semicolons_a_byte_order_mark_and_other_header_case_is_read() -> None:
    content = (
        "\ufeffExternal Ref;Customer_Name;EMAIL;SKU;Quantity;Fulfilment-Mode;Payment_Method;Colour\n"
        "M-9;Zoé;zoe@example.com;APPLE;1;Pickup;Cash;red\n"
    )
    preview = csv_import.read(content.encode())
    assert preview.file_problem is None
    assert preview.unknown_columns == ["colour"]
    assert preview.orders[0].draft().fulfilment_mode == "pickup"
    assert preview.ready


@pytest.mark.parametrize(
    ("quantity", "code"),
    [
        ("0", "quantity_not_positive"),
        ("-2", "quantity_not_positive"),
        ("1.5", "quantity_not_whole"),
        ("two", "quantity_not_whole"),
        ("", "csv_required"),
        ("10001", "quantity_too_large"),
        ("9" * 40, "quantity_too_large"),
    ],
)
def test_a_bad_quantity_is_named_at_its_row(quantity: str, code: str) -> None:
    preview = _read(ADA.format(sku="APPLE", quantity=1), ADA.format(sku="PEAR", quantity=quantity))
    assert _codes(preview) == [(3, "quantity", code)]
    assert not preview.ready


def test_each_missing_or_malformed_field_is_named_by_row_and_column() -> None:
    preview = _read(
        "M-1,,ada@example,06 12,APPLE,1,delivery,,,,,card\n",
        "M-2,Bob,bob@example.com,,,1,teleport,1 rue X,Paris,75001,France,cheque\n",
        ",Nobody,no@example.com,,APPLE,1,pickup,,,,,cash\n",
    )
    assert _codes(preview) == [
        (2, "customer_name", "name_required"),
        (2, "email", "email_invalid"),
        (2, "phone", "phone_invalid"),
        (2, "address_line1", "address_required"),
        (3, "sku", "sku_required"),
        (3, "fulfilment_mode", "fulfilment_mode_invalid"),
        (3, "country", "country_invalid"),
        (3, "payment_method", "payment_method_invalid"),
        (4, "external_ref", "csv_required"),
    ]


def test_rows_of_one_order_that_disagree_about_the_customer_are_refused() -> None:
    preview = _read(
        ADA.format(sku="APPLE", quantity=1),
        "M-1,ADA  lovelace,ada@example.com,+33612345678,PEAR,1,,,,,,\n",  # the same, written otherwise
        "M-1,Ada Lovelace,other@example.com,,PLUM,1,shipping,,,,,\n",
    )
    assert _codes(preview) == [(4, "email", "csv_differs"), (4, "fulfilment_mode", "csv_differs")]


def test_what_the_database_knows_marks_unknown_skus_and_locations_and_orders_already_imported() -> None:
    header = HEADER.replace("payment_method", "payment_method,location")
    preview = _read(
        ADA.replace("card", "card,ENT").format(sku="APPLE", quantity=1),
        ADA.replace("M-1", "M-2").replace("card", "card,NOWHERE").format(sku="GHOST", quantity=1),
        ADA.replace("M-1", "M-3").replace("card", "card,").format(sku="APPLE", quantity=1),
        header=header,
    )
    csv_import.check_against(preview, {"APPLE"}, {"ENT"}, {"M-3": KnownOrder(7, "ORD-2026-000007")})
    assert [order.external_ref for order in preview.ready] == ["M-1"]
    assert [order.external_ref for order in preview.already_imported] == ["M-3"]
    assert _codes(preview) == [(3, "sku", "sku_unknown"), (3, "location", "location_unknown")]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "csv_empty"),
        (HEADER.encode(), "csv_empty"),
        ("external_ref,customer_name\nM-1,Café\n".encode("latin-1"), "csv_encoding"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "csv_encoding"),
        (b"order,name\n1,2\n", "csv_missing_columns"),
        ((HEADER.strip() + ",sku\n").encode(), "csv_duplicate_columns"),
        (b"x" * (csv_import.MAX_BYTES + 1), "csv_too_large"),
        (HEADER.encode() + b"M-1,Ada,a@example.com,,APPLE,1,pickup,,,,,cash\n" * 5001, "csv_too_many_rows"),
    ],
)
def test_an_unusable_file_gets_one_clear_reason(content: bytes, problem: str) -> None:
    preview = csv_import.read(content)
    assert preview.file_problem == problem
    assert not preview.ready


def test_the_missing_columns_are_named() -> None:
    preview = csv_import.read(b"external_ref,sku\nM-1,APPLE\n")
    assert preview.columns == ["customer_name", "quantity", "fulfilment_mode", "payment_method"]


def test_every_code_has_a_message() -> None:
    preview = _read("M-1,,,,,x,,,,,,\n")
    codes = {p.code for p in preview.problems} | set(csv_import.CSV_MESSAGES)
    assert codes <= set(csv_import.MESSAGES)
    assert RowProblem(2, "quantity", "csv_short", 3).available == 3


def test_a_sealed_file_opens_only_for_its_owner_unaltered_and_in_time() -> None:
    content = (HEADER + ADA.format(sku="APPLE", quantity=2)).encode() * 20
    sealed = import_seal.seal(content, 5, "secret", NOW)
    assert len(sealed) < len(content)  # exports repeat themselves: it travels compressed
    assert import_seal.unseal(sealed, 5, "secret", NOW + timedelta(hours=1)) == content
    issued, payload, signature = sealed.split(".")
    altered = [
        (sealed, 6, "secret", NOW),  # someone else
        (sealed, 5, "another secret", NOW),
        (sealed, 5, "secret", NOW + import_seal.KEEP_FOR + timedelta(seconds=1)),
        (f"{int(issued) + 1}.{payload}.{signature}", 5, "secret", NOW),
        (f"{issued}.{payload[:-4]}AAAA.{signature}", 5, "secret", NOW),
        ("", 5, "secret", NOW),
        ("not.a.seal", 5, "secret", NOW),
    ]
    for value, user, secret, when in altered:
        with pytest.raises(import_seal.SealBroken):
            import_seal.unseal(value, user, secret, when)
