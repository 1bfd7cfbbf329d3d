"""Invoice arithmetic, for any lines and any sequence of money moves (Hypothesis): totals per rate
add up to the total, the lines add up to their rate's base, credit notes never exceed what they
correct, and the balance is always invoiced − paid + refunded."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.invoicing import rules
from backend.invoicing.rules import InvoiceStatus, Kind

RATES = st.sampled_from([0, 210, 550, 1000, 2000])
LINE = st.builds(rules.Line, st.integers(1, 1000), st.integers(0, 10**7), RATES)
LINES = st.lists(LINE, min_size=1, max_size=30)
# Pure arithmetic: how long an example takes says only how busy the machine is.
untimed = settings(deadline=None)


@untimed
@given(LINES, st.booleans())
def test_rates_add_up_to_the_total_and_lines_to_their_rate(lines: list[rules.Line], inclusive: bool) -> None:
    totals = rules.compute_totals(lines, inclusive)
    assert sum(rate.total_minor for rate in totals.rates) == totals.total_minor
    assert totals.net_minor + totals.tax_minor == totals.total_minor
    if inclusive:  # the total is exactly what the tax-inclusive prices come to
        assert totals.total_minor == sum(line.amount_minor for line in lines)
    nets = rules.line_nets(lines, totals)
    for rate in totals.rates:
        assert (
            sum(net for net, line in zip(nets, lines, strict=True) if line.tax_rate_centi == rate.rate_centi)
            == rate.net_minor
        )
    assert all(net >= 0 for net in nets)


@untimed
@given(LINES, st.booleans(), st.data())
def test_credit_notes_never_exceed_what_they_correct(
    lines: list[rules.Line], inclusive: bool, data: st.DataObject
) -> None:
    invoiced = rules.compute_totals(lines, inclusive)
    left = [line.quantity for line in lines]
    notes: list[rules.Totals] = []
    partial = data.draw(st.integers(0, 4))
    for step in range(partial + 1):
        last = step == partial
        taken = left if last else [data.draw(st.integers(0, units)) for units in left]
        left = [a - b for a, b in zip(left, taken, strict=True)]
        wanted = rules.compute_totals(
            [
                rules.Line(q, line.unit_price_minor, line.tax_rate_centi)
                for q, line in zip(taken, lines, strict=True)
                if q
            ],
            inclusive,
        )
        remaining = rules.credit_limit(invoiced, notes)
        note = rules.credit_totals(wanted, remaining, closes=not any(left))
        for rate in note.rates:
            assert 0 <= rate.net_minor <= remaining.of(rate.rate_centi).net_minor
            assert 0 <= rate.tax_minor <= remaining.of(rate.rate_centi).tax_minor
        notes.append(note)
        if last:
            break
    assert sum(note.total_minor for note in notes) == invoiced.total_minor  # credited in full, never more


MOVES = st.lists(st.tuples(st.sampled_from(["pay", "refund", "credit"]), st.integers(1, 10**6)), max_size=40)


@untimed
@given(st.integers(1, 10**7), MOVES)
def test_balance_is_invoiced_minus_paid_plus_refunded(total: int, moves: list[tuple[str, int]]) -> None:
    credited = paid = refunded = 0
    for move, amount in moves:
        if move == "pay":
            paid += amount
        elif move == "credit":
            credited = min(total, credited + amount)
        elif rules.refund_problem(amount, paid, refunded) is None:
            refunded += amount
        else:
            assert amount > paid - refunded  # refused only when more than was paid
        assert refunded <= paid
        owed = rules.balance(total - credited, paid, refunded)
        assert owed == (total - credited) - paid + refunded
        status = rules.stored_status(
            Kind.INVOICE,
            issued=True,
            sent=False,
            total_minor=total,
            credited_minor=credited,
            paid_minor=paid - refunded,
        )
        if credited == total:
            assert status == InvoiceStatus.CANCELLED
        elif owed <= 0:
            assert status == InvoiceStatus.PAID
        else:
            assert status in (InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID)


def test_known_figures_and_the_dispatch_rule() -> None:
    totals = rules.compute_totals(
        [rules.Line(3, 333, 2000), rules.Line(1, 1999, 550)], prices_include_tax=False
    )
    assert [(r.rate_centi, r.net_minor, r.tax_minor) for r in totals.rates] == [
        (2000, 999, 200),
        (550, 1999, 110),
    ]
    inclusive = rules.compute_totals([rules.Line(1, 1200, 2000)], prices_include_tax=True)
    assert (inclusive.net_minor, inclusive.tax_minor) == (1000, 200)
    assert rules.holds_dispatch("bank_transfer", {"bank_transfer"}, 1)
    assert not rules.holds_dispatch("bank_transfer", {"bank_transfer"}, 0)
    assert not rules.holds_dispatch("cash_on_delivery", {"bank_transfer"}, 500)
    assert (
        rules.shown_status(
            InvoiceStatus.SENT,
            rules.due_date(__import__("datetime").date(2026, 1, 1), 30),
            __import__("datetime").date(2026, 2, 1),
        )
        == InvoiceStatus.OVERDUE
    )
