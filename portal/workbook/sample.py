"""A realistic Belgian sample: about 40 customers and 150 invoices in every state.

Everything is drawn from a seeded generator relative to a fixed "as of" date, so the
sample workbook is the same on every machine and shows every stage whatever today is.
"""

from __future__ import annotations

import random
import re
import unicodedata
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from stdnum.be import vat as be_vat

from ..codes.payment import ogm
from ..domain.ledger import THANK_YOU_DAYS
from ..domain.money import CENT
from ..domain.scenarios import BUILTIN_STEPS

AS_OF = date(2026, 11, 16)
SEED = 20261116

SETTINGS: dict[str, object] = {
    "name": "Atelier Lumière SRL",
    "address": "Rue de la Loi 42, 1040 Etterbeek",
    "enterprise_number": "BE0403.170.701",
    "iban": "BE71 0961 2345 6769",
    "bic": "GKCCBEBB",
    "email": "facturation@atelier-lumiere.example",
    "phone": "+32 2 123 45 67",
    "country": "BE",
    "default_language": "fr",
    "site_languages": "fr, nl, en, de",
    "portal_base_url": "https://pay.atelier-lumiere.example/",
    "payment_terms_days": 30,
    "reference_kind": "ogm",
    # The sample's date is past the last published semester rate of the Law of 2 Aug 2002 (see law.py), so
    # its general terms state a rate of their own: 10 % a year.
    "interest_rule": "contractual",
    "interest_rate": Decimal("10"),
    "b2c_interest_rate": Decimal("8"),  # for consumers: within the ceiling of any semester
    "flat_fee": "yes",
    "b2c_terms_allow_damages": "yes",
    "default_scenario": "standard",
    "publish_target": "site_published",
    "retention_days": 30,
    "encrypt_pages": "no",
    "smtp_port": 587,
    "as_of": AS_OF,
}

# name, language, B2B/B2C, town
CUSTOMERS = [
    ("Boulangerie Dupont SRL", "fr", "B2B", "4000 Liège"),
    ("Cabinet Lambert & Associés", "fr", "B2B", "5000 Namur"),
    ("Garage Marchal SA", "fr", "B2B", "6000 Charleroi"),
    ("Fleurs de Wallonie SRL", "fr", "B2B", "1300 Wavre"),
    ("Librairie La Plume", "fr", "B2B", "7000 Mons"),
    ("Brasserie du Sart", "fr", "B2B", "4900 Spa"),
    ("Pharmacie Delvaux", "fr", "B2B", "1050 Ixelles"),
    ("Studio Graphique Lumen", "fr", "B2B", "1060 Saint-Gilles"),
    ("Restaurant Le Vieux Liège", "fr", "B2B", "4020 Liège"),
    ("Menuiserie Collard SRL", "fr", "B2B", "6700 Arlon"),
    ("Marie Lejeune", "fr", "B2C", "1348 Louvain-la-Neuve"),
    ("Jean-Pierre Renard", "fr", "B2C", "5100 Jambes"),
    ("Théo Martin", "fr", "B2C", "1000 Bruxelles"),
    ("Sophie Leclercq", "fr", "B2C", "7500 Tournai"),
    ("Bakkerij Peeters BV", "nl", "B2B", "2000 Antwerpen"),
    ("Van den Broeck Bouw NV", "nl", "B2B", "9000 Gent"),
    ("Brouwerij De Klok", "nl", "B2B", "8000 Brugge"),
    ("Jansen & Zonen BV", "nl", "B2B", "3500 Hasselt"),
    ("Drukkerij Vermeulen", "nl", "B2B", "2800 Mechelen"),
    ("Tandartspraktijk Wouters", "nl", "B2B", "3000 Leuven"),
    ("Fietsen Maes", "nl", "B2B", "8500 Kortrijk"),
    ("Architectenbureau Goossens", "nl", "B2B", "2300 Turnhout"),
    ("Schrijnwerkerij Claes", "nl", "B2B", "3800 Sint-Truiden"),
    ("Lotte Claes", "nl", "B2C", "9300 Aalst"),
    ("Koen De Smet", "nl", "B2C", "2600 Berchem"),
    ("An Willems", "nl", "B2C", "1800 Vilvoorde"),
    ("Pieter Janssens", "nl", "B2C", "3600 Genk"),
    ("Brussels Tech Hub SA", "en", "B2B", "1000 Brussels"),
    ("Northwind Consulting", "en", "B2B", "1040 Etterbeek"),
    ("EuroLex Translations", "en", "B2B", "1050 Brussels"),
    ("Harbour Logistics", "en", "B2B", "2030 Antwerp"),
    ("Sarah O'Connor", "en", "B2C", "1180 Uccle"),
    ("Daniel Novak", "en", "B2C", "1150 Woluwe-Saint-Pierre"),
    ("Eupener Holzbau GmbH", "de", "B2B", "4700 Eupen"),
    ("Weber Elektrotechnik", "de", "B2B", "4780 Sankt Vith"),
    ("Kelmiser Landhandel", "de", "B2B", "4720 Kelmis"),
    ("Bütgenbacher Reisebüro", "de", "B2B", "4750 Bütgenbach"),
    ("Anna Schmitz", "de", "B2C", "4700 Eupen"),
    ("Jonas Krings", "de", "B2C", "4760 Büllingen"),
    ("Lena Hoffmann", "de", "B2C", "4730 Raeren"),
]

STREETS = [
    "Rue Haute",
    "Kerkstraat",
    "Chaussée de Namur",
    "Stationsstraat",
    "Rue du Marché",
    "Dorpsstraat",
    "Hauptstraße",
    "Avenue Louise",
    "Grote Markt",
    "Rue de la Station",
]
SERVICES = {
    "fr": [
        "Conception graphique",
        "Site web vitrine",
        "Maintenance annuelle",
        "Séance photo produits",
        "Impression de flyers",
        "Identité visuelle",
        "Hébergement 12 mois",
        "Atelier formation",
    ],
    "nl": [
        "Grafisch ontwerp",
        "Website",
        "Jaarlijks onderhoud",
        "Productfotografie",
        "Drukwerk folders",
        "Huisstijl",
        "Hosting 12 maanden",
        "Opleiding",
    ],
    "en": [
        "Graphic design",
        "Website build",
        "Annual maintenance",
        "Product photography",
        "Flyer printing",
        "Brand identity",
        "Hosting, 12 months",
        "Training workshop",
    ],
    "de": [
        "Grafikdesign",
        "Webseite",
        "Jährliche Wartung",
        "Produktfotografie",
        "Flyerdruck",
        "Corporate Design",
        "Hosting 12 Monate",
        "Schulung",
    ],
}


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def _vat(rng: random.Random) -> str:
    first8 = rng.randrange(2_000_000, 9_999_999)  # 0 + 7 digits: the usual enterprise range
    return "BE" + be_vat.validate(f"{first8:08d}{97 - first8 % 97:02d}")


def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _amount(rng: random.Random) -> Decimal:
    return _money(min(48000.0, max(12.5, rng.lognormvariate(6.3, 1.2))))


def _customers(rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    scenarios = ["standard"] * 6 + ["gentle"] * 2 + ["strict"] * 2
    for n, (name, lang, kind, town) in enumerate(CUSTOMERS, start=1):
        rows.append(
            {
                "id": f"C{n:03d}",
                "name": name,
                "language": lang,
                "kind": kind,
                "email": f"{_slug(name)}@example.be",
                "phone": f"+32 {rng.randint(2, 9)} {rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                "address": f"{rng.choice(STREETS)} {rng.randint(1, 180)}, {town}",
                "vat": _vat(rng) if kind == "B2B" else "",
                "scenario": rng.choice(scenarios),
            }
        )
    rows[5].update(on_hold="yes", hold_reason="Repayment arranged by phone")
    return rows


def _ladder(scenario: str) -> list[tuple[str, int]]:
    return [(s.stage, s.offset_days) for s in BUILTIN_STEPS if s.scenario == scenario]


def draw_invoice(rng: random.Random, n: int, number: str, customer: dict[str, Any]) -> dict[str, Any]:
    """Invoice `number` (the n-th) of `customer`: issued up to 190 days before AS_OF, so that some are not
    due yet, some due soon, some a few days late and some months late."""
    lang = str(customer["language"])
    issue = AS_OF - timedelta(days=rng.randint(1, 190))
    return {
        "number": number,
        "kind": "invoice",
        "customer_id": customer["id"],
        "issue_date": issue,
        "due_date": issue + timedelta(days=30 if customer["kind"] == "B2B" else 15),
        "amount": _amount(rng),
        "currency": "EUR",
        "description": rng.choice(SERVICES[lang]),
        "order_ref": f"PO-{rng.randint(1000, 9999)}" if customer["kind"] == "B2B" and n % 3 == 0 else "",
    }


def draw_history(
    rng: random.Random,
    n: int,
    invoice: dict[str, Any],
    customer: dict[str, Any],
    payments: list[dict[str, Any]],
    log: list[dict[str, Any]],
) -> None:
    """What happened to a late invoice: paid in full (four in ten), else perhaps paid in part, and the
    reminders sent so far on its customer's scenario."""
    number, amount, due = invoice["number"], invoice["amount"], invoice["due_date"]
    reference = ogm.format(ogm.generate(number))
    fate = rng.random()
    if due < AS_OF and fate < 0.40:
        paid_on = due + timedelta(days=rng.randint(-20, 25))
        payments.append(
            {
                "date": min(paid_on, AS_OF - timedelta(days=1)),
                "amount": amount,
                "reference": reference,
                "counterparty": customer["name"],
                "invoice": number if n % 5 else "",
                "source": "bank",
            }
        )
        return
    if due < AS_OF and fate < 0.50:
        part = (amount * Decimal(rng.choice(["0.25", "0.4", "0.5"]))).quantize(CENT, rounding=ROUND_HALF_UP)
        payments.append(
            {
                "date": due + timedelta(days=rng.randint(0, 10)),
                "amount": part,
                "reference": reference,
                "counterparty": customer["name"],
                "invoice": number,
                "source": "bank",
            }
        )
    overdue = (AS_OF - due).days
    sent = [(stage, offset) for stage, offset in _ladder(str(customer["scenario"])) if offset <= overdue]
    # Stages already sent on time; for every other invoice the current stage is still to do.
    for stage, offset in sent[:-1] if n % 2 else sent:
        log.append(
            {
                "date": due + timedelta(days=offset),
                "customer_id": customer["id"],
                "invoice": number,
                "channel": "email",
                "action": stage,
                "note": "",
            }
        )


def sample_rows() -> dict[str, list[dict[str, Any]]]:
    """The sample's tables, by table key."""
    rng = random.Random(SEED)
    customers = _customers(rng)
    invoices: list[dict[str, Any]] = []
    payments: list[dict[str, Any]] = []
    log: list[dict[str, Any]] = []
    plans: list[dict[str, Any]] = []
    for n in range(1, 151):
        customer = customers[(n * 7) % len(customers)]
        invoice = draw_invoice(rng, n, f"2026-{n:04d}", customer)
        invoice["amount"] = {1: Decimal("48000.00"), 2: Decimal("12.50")}.get(n, invoice["amount"])
        invoices.append(invoice)
        draw_history(rng, n, invoice, customer, payments, log)

    def edit(n: int, **changes: object) -> dict[str, Any]:
        """Give invoice n a state of its own, with none of the payments or log drawn for it."""
        invoice = invoices[n - 1]
        invoice.update(changes)
        payments[:] = [p for p in payments if p["invoice"] != invoice["number"]]
        log[:] = [entry for entry in log if entry["invoice"] != invoice["number"]]
        return invoice

    def fresh(n: int, age: int, **changes: object) -> dict[str, Any]:
        issue = AS_OF - timedelta(days=age)
        return edit(n, issue_date=issue, due_date=issue + timedelta(days=30), **changes)

    invoices[10].update(disputed="yes", description="Impression de flyers (quantité contestée)")
    invoices[22]["disputed"] = "yes"
    invoices[36]["on_hold"] = "yes"
    invoices[57]["written_off"] = "yes"
    fresh(
        149,
        5,
        customer_id="C029",
        currency="GBP",
        amount=Decimal("2400.00"),
        description="Website build (invoiced in pounds)",
    )
    fresh(
        148,
        3,
        customer_id="C015",
        discount_pct=Decimal("2"),
        discount_date=AS_OF + timedelta(days=7),
        description="Huisstijl — 2 % korting bij betaling binnen 10 dagen",
    )
    big = fresh(1, 75, description="Refonte complète du site et de l'identité visuelle")
    big_customer = next(c for c in customers if c["id"] == big["customer_id"])
    payments.append(
        {
            "date": AS_OF - timedelta(days=26),
            "amount": Decimal("12000.00"),
            "reference": ogm.format(ogm.generate(big["number"])),
            "counterparty": big_customer["name"],
            "invoice": big["number"],
            "source": "bank",
        }
    )
    for k, months in enumerate((-1, 0, 1, 2)):
        plans.append(
            {
                "invoice": big["number"],
                "customer_id": big["customer_id"],
                "number": k + 1,
                "due_date": AS_OF + timedelta(days=30 * months + 5),
                "amount": Decimal("12000.00"),
            }
        )
    target = next(i for i in invoices if i["customer_id"] == "C016" and i["due_date"] < AS_OF)
    invoices.append(
        {
            "number": "2026-0151",
            "kind": "credit note",
            "customer_id": "C016",
            "issue_date": AS_OF - timedelta(days=12),
            "due_date": AS_OF - timedelta(days=12),
            "amount": Decimal("150.00"),
            "currency": "EUR",
            "description": f"Note de crédit sur la facture {target['number']}",
        }
    )
    late_payer = next(
        i
        for i in invoices
        for p in payments
        if p["invoice"] == i["number"]
        and p["amount"] == i["amount"]
        and p["date"] > i["due_date"] + timedelta(days=3)
        and p["date"] >= AS_OF - timedelta(days=THANK_YOU_DAYS)
    )
    log.append(
        {
            "date": late_payer["due_date"] + timedelta(days=3),
            "customer_id": late_payer["customer_id"],
            "invoice": late_payer["number"],
            "channel": "email",
            "action": "reminder_1",
            "note": "",
        }
    )
    typed = invoices[40]
    typed["reference"] = ogm.format(ogm.generate(typed["number"]))
    return {"customers": customers, "invoices": invoices, "payments": payments, "plans": plans, "log": log}
