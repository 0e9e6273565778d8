"""Synthetic workbooks of any size with the sample's mix: four languages, B2B and B2C customers,
every scenario, invoices at every stage, partial and full payments, payment plans, disputes,
holds, write-offs, credit notes, a foreign currency and early-payment discounts.

    python -m bench.generate 10000 2000 bench/.work/reference.xlsx

The same sizes and seed always give the same workbook.
"""

from __future__ import annotations

import argparse
import random
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from portal.domain.money import CENT
from portal.workbook import sample
from portal.workbook.template import write_workbook

REFERENCE = (10_000, 2_000)
LARGE = (100_000, 20_000)
SEED = 20261116
AS_OF = sample.AS_OF


def _customers(rng: random.Random, count: int) -> list[dict[str, object]]:
    scenarios = ["standard"] * 6 + ["gentle"] * 2 + ["strict"] * 2
    rows = []
    for n in range(count):
        name, lang, kind, town = sample.CUSTOMERS[n % len(sample.CUSTOMERS)]
        cycle = n // len(sample.CUSTOMERS)
        row: dict[str, object] = {
            "id": f"C{n + 1:06d}",
            "name": name if cycle == 0 else f"{name} {cycle + 1}",
            "language": lang,
            "kind": kind,
            "email": f"customer{n + 1}@example.be",
            "phone": f"+32 {rng.randint(2, 9)} {rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            "address": f"{rng.choice(sample.STREETS)} {rng.randint(1, 180)}, {town}",
            "vat": sample._vat(rng) if kind == "B2B" else "",
            "scenario": rng.choice(scenarios),
        }
        if n % 97 == 5:
            row.update(on_hold="yes", hold_reason="Repayment arranged by phone")
        rows.append(row)
    return rows


def synthetic_rows(invoices: int, customers: int, seed: int = SEED) -> dict[str, list[dict[str, object]]]:
    """The tables of a workbook with `invoices` invoices spread over `customers` customers."""
    rng = random.Random(seed)
    people = _customers(rng, customers)
    invoice_rows: list[dict[str, object]] = []
    payments: list[dict[str, object]] = []
    log: list[dict[str, object]] = []
    plans: list[dict[str, object]] = []
    for n in range(1, invoices + 1):
        customer = people[(n * 7) % len(people)]
        invoice = sample.draw_invoice(rng, n, f"S-{n:07d}", customer)
        number, amount = invoice["number"], invoice["amount"]
        invoice_rows.append(invoice)
        special = n % 50
        if special == 11:
            invoice["disputed"] = "yes"
        elif special == 23:
            invoice["on_hold"] = "yes"
        elif special == 37:
            invoice["written_off"] = "yes"
        elif special == 41:
            invoice.update(currency="GBP", description="Website build (invoiced in pounds)")
        elif special == 43:
            invoice.update(
                issue_date=AS_OF - timedelta(days=3),
                due_date=AS_OF + timedelta(days=27),
                discount_pct=Decimal("2"),
                discount_date=AS_OF + timedelta(days=7),
            )
            continue
        elif special == 47:
            share = (amount / 4).quantize(CENT, rounding=ROUND_HALF_UP)
            for k, months in enumerate((-1, 0, 1, 2)):
                plans.append(
                    {
                        "invoice": number,
                        "customer_id": customer["id"],
                        "number": k + 1,
                        "due_date": AS_OF + timedelta(days=30 * months + 5),
                        "amount": share if k < 3 else amount - 3 * share,
                    }
                )
            continue
        sample.draw_history(rng, n, invoice, customer, payments, log)
    for k in range(max(1, invoices // 500)):
        customer = people[(k * 13) % len(people)]
        invoice_rows.append(
            {
                "number": f"CN-{k + 1:06d}",
                "kind": "credit note",
                "customer_id": customer["id"],
                "issue_date": AS_OF - timedelta(days=12),
                "due_date": AS_OF - timedelta(days=12),
                "amount": Decimal("150.00"),
                "currency": "EUR",
                "description": "Note de crédit",
            }
        )
    return {"customers": people, "invoices": invoice_rows, "payments": payments, "plans": plans, "log": log}


def write(path: Path, invoices: int, customers: int, seed: int = SEED) -> Path:
    """Write the synthetic workbook to `path` (the sample's settings)."""
    return write_workbook(Path(path), settings=sample.SETTINGS, rows=synthetic_rows(invoices, customers, seed))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a synthetic receivables workbook.")
    parser.add_argument("invoices", type=int, nargs="?", default=REFERENCE[0])
    parser.add_argument("customers", type=int, nargs="?", default=REFERENCE[1])
    parser.add_argument("out", type=Path, nargs="?", default=Path("bench/.work/reference.xlsx"))
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    write(args.out, args.invoices, args.customers, args.seed)
    print(f"{args.out}: {args.invoices} invoices, {args.customers} customers")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
