"""The workbook's tables and columns: the one source for the template, the reader,
the validation and the write-back.

Headers and setting names are matched through `normalize`, so "Échéance", "echeance"
and "ÉCHÉANCE " are the same header.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import MISSING, dataclass, fields
from functools import cached_property, lru_cache

from ..domain.languages import LANGUAGES
from ..domain.ledger import LATER_RATE_LABEL, Creditor
from ..domain.stages import Channel

COUNTRIES = ("BE", "FR")
KINDS = ("B2B", "B2C")
SCENARIOS = ("gentle", "standard", "strict")
DOCUMENT_KINDS = ("invoice", "credit note")
YES_NO = ("yes", "no")
REFERENCE_KINDS = ("ogm", "rf")
INTEREST_RULES = ("legal", "contractual", "none")
CHANNELS = tuple(Channel)

# How each type of column is shown in Excel.
NUMBER_FORMATS = {"date": "DD/MM/YYYY", "money": "#,##0.00", "percent": "0.00", "number": "0"}

# Every word a user may type for a choice, normalized, mapped to the canonical value.
CHOICE_ALIASES: dict[str, str] = {
    **{w: "yes" for w in ("yes", "y", "oui", "o", "ja", "j", "true", "vrai", "waar", "wahr", "x", "1")},
    **{w: "no" for w in ("no", "n", "non", "nee", "nein", "false", "faux", "onwaar", "falsch", "0")},
    **{w: "fr" for w in ("fr", "francais", "french", "frans", "franzosisch")},
    **{w: "nl" for w in ("nl", "nederlands", "dutch", "neerlandais", "niederlandisch", "vlaams")},
    **{w: "en" for w in ("en", "english", "anglais", "engels", "englisch")},
    **{w: "de" for w in ("de", "deutsch", "german", "allemand", "duits")},
    **{w: "B2B" for w in ("b2b", "business", "entreprise", "professionnel", "bedrijf", "unternehmen")},
    **{w: "B2C" for w in ("b2c", "consumer", "consommateur", "particulier", "consument", "particulier", "verbraucher")},
    **{w: "invoice" for w in ("invoice", "facture", "factuur", "rechnung")},
    **{w: "credit note" for w in ("creditnote", "credit", "notedecredit", "avoir", "creditnota", "gutschrift")},
    **{w: "email" for w in ("email", "mail", "courriel")},
    **{w: "post" for w in ("post", "letter", "lettre", "courrier", "brief", "poste", "postal")},
    **{
        w: "registered"
        for w in ("registered", "recommande", "lettrerecommandee", "aangetekend", "einschreiben", "registeredpost")
    },
    **{w: "phone" for w in ("phone", "telephone", "telefoon", "telefon", "call")},
    **{w: "email" for w in ("portal", "portail", "portaal")},
}


def normalize(text: object) -> str:
    """Lower-case ASCII letters and digits only: the form headers are compared in.

    >>> normalize("  Numéro de facture ")
    'numerodefacture'
    """
    return _normalized(str(text))


@lru_cache(maxsize=16384)
def _normalized(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]", "", ascii_text.lower())


class _Named:
    """Something a user's sheet may name in several ways; `names()` are those ways, normalized once."""

    def _name_sources(self) -> tuple[str, ...]:
        raise NotImplementedError

    def names(self) -> frozenset[str]:
        return self._names

    @cached_property
    def _names(self) -> frozenset[str]:
        return frozenset(normalize(n) for n in self._name_sources())


@dataclass(frozen=True)
class Column(_Named):
    key: str
    headers: dict[str, str]  # language -> header written by the template
    type: str  # text, date, money, number, percent, choice, email
    required: bool = False
    managed: bool = False  # written by Refresh, never typed by the user
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # further words a user's own sheet may use
    width: int = 14
    help: str = ""

    def header(self, lang: str = "en") -> str:
        return self.headers[lang]

    def _name_sources(self) -> tuple[str, ...]:
        return (*self.headers.values(), *self.aliases, self.key)


@dataclass(frozen=True)
class Table(_Named):
    key: str
    sheet_names: dict[str, str]
    columns: tuple[Column, ...]
    required: bool = False
    aliases: tuple[str, ...] = ()
    help: str = ""

    def sheet_name(self, lang: str = "en") -> str:
        return self.sheet_names[lang]

    def _name_sources(self) -> tuple[str, ...]:
        return (*self.sheet_names.values(), *self.aliases, self.key)

    def column(self, key: str) -> Column:
        return self._columns[key]

    @cached_property
    def _columns(self) -> dict[str, Column]:
        return {c.key: c for c in reversed(self.columns)}

    def match_header(self, header: object) -> Column | None:
        n = normalize(header)
        if not n:
            return None
        return next((c for c in self.columns if n in c.names()), None)


@dataclass(frozen=True)
class Setting(_Named):
    key: str
    labels: dict[str, str]
    type: str = "text"  # text, iban, bic, vat, email, choice, number, money, date, list, url
    required: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""
    aliases: tuple[str, ...] = ()

    def _name_sources(self) -> tuple[str, ...]:
        return (*self.labels.values(), *self.aliases, self.key)

    @property
    def default(self) -> str:
        """The value used when the setting is left empty, as the template shows it (from `Creditor`)."""
        found = _CREDITOR_DEFAULTS.get(self.key)
        if isinstance(found, bool):
            return "yes" if found else "no"
        if isinstance(found, tuple):
            return ", ".join(found)
        return "" if found is None else str(found)


_CREDITOR_DEFAULTS = {f.name: f.default for f in fields(Creditor) if f.default is not MISSING}


def _h(en: str, fr: str, nl: str, de: str) -> dict[str, str]:
    return {"en": en, "fr": fr, "nl": nl, "de": de}


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "name",
        _h("Company name", "Nom de l'entreprise", "Bedrijfsnaam", "Firmenname"),
        required=True,
        help="Your legal name, as debtors know it.",
        aliases=("creditor", "creditor name", "nom", "naam", "raison sociale"),
    ),
    Setting("address", _h("Address", "Adresse", "Adres", "Adresse"), help="Street, postcode and town."),
    Setting(
        "enterprise_number",
        _h(
            "Enterprise / VAT number",
            "N° d'entreprise / TVA",
            "Ondernemings- / btw-nummer",
            "Unternehmens- / USt-Nummer",
        ),
        type="vat",
        help="Belgian: 0403.170.701 or BE0403170701. French: FR + 11 characters.",
        aliases=("vat", "tva", "btw", "vat number", "numero de tva", "ondernemingsnummer", "kbo", "bce", "siren"),
    ),
    Setting(
        "iban",
        _h("IBAN", "IBAN", "IBAN", "IBAN"),
        type="iban",
        required=True,
        help="The account debtors pay into.",
        aliases=("bank account", "compte", "rekeningnummer"),
    ),
    Setting(
        "bic",
        _h("BIC", "BIC", "BIC", "BIC"),
        type="bic",
        help="Optional for a Belgian IBAN: found from the bank code.",
        aliases=("swift",),
    ),
    Setting(
        "email",
        _h("Contact e-mail", "E-mail de contact", "Contact e-mail", "Kontakt-E-Mail"),
        type="email",
        aliases=("email", "e-mail", "courriel"),
    ),
    Setting(
        "phone",
        _h("Contact phone", "Téléphone de contact", "Contacttelefoon", "Kontakttelefon"),
        aliases=("phone", "telephone", "telefoon", "telefon"),
    ),
    Setting(
        "country",
        _h("Country", "Pays", "Land", "Land"),
        type="choice",
        choices=COUNTRIES,
        help="BE or FR: decides the law applied to late payment.",
    ),
    Setting(
        "default_language",
        _h("Default language", "Langue par défaut", "Standaardtaal", "Standardsprache"),
        type="choice",
        choices=LANGUAGES,
        help="For customers whose language is empty.",
    ),
    Setting(
        "site_languages",
        _h("Site languages", "Langues du site", "Talen van de site", "Sprachen der Website"),
        type="list",
        choices=LANGUAGES,
        help="Languages each page is also offered in.",
    ),
    Setting(
        "portal_base_url",
        _h("Portal base URL", "URL du portail", "URL van het portaal", "Portal-URL"),
        type="url",
        help="Where the site is published, e.g. https://pay.example.be/",
    ),
    Setting(
        "payment_terms_days",
        _h("Payment terms (days)", "Délai de paiement (jours)", "Betalingstermijn (dagen)", "Zahlungsziel (Tage)"),
        type="number",
        help="Used when an invoice has no due date.",
    ),
    Setting(
        "reference_kind",
        _h("Payment reference", "Référence de paiement", "Betalingsreferentie", "Zahlungsreferenz"),
        type="choice",
        choices=REFERENCE_KINDS,
        help="ogm: Belgian structured communication +++123/4567/89002+++; rf: ISO 11649 RF reference.",
    ),
    Setting(
        "interest_rule",
        _h("Late interest", "Intérêts de retard", "Verwijlintrest", "Verzugszinsen"),
        type="choice",
        choices=INTEREST_RULES,
        help="legal: the statutory rate; contractual: the rate below; none: claim no interest.",
    ),
    Setting(
        "interest_rate",
        _h(
            "Contractual interest rate (%)",
            "Taux d'intérêt contractuel (%)",
            "Contractuele intrestvoet (%)",
            "Vertraglicher Zinssatz (%)",
        ),
        type="percent",
    ),
    Setting(
        "later_legal_rate",
        _h(
            LATER_RATE_LABEL,
            "Taux légal, périodes récentes (%)",
            "Wettelijke intrestvoet, recente periodes (%)",
            "Gesetzlicher Zinssatz, neuere Zeiträume (%)",
        ),
        type="percent",
        help="Only when a check says a period's legal rate is unknown: the rate published for it "
        "(Belgium: Moniteur belge / Belgisch Staatsblad; France: ECB rate + 10 points).",
    ),
    Setting(
        "flat_fee",
        _h(
            "Claim the flat compensation",
            "Réclamer l'indemnité forfaitaire",
            "Forfaitaire vergoeding vragen",
            "Pauschale verlangen",
        ),
        type="choice",
        choices=YES_NO,
        help="EUR 40 for businesses; the capped Book XIX indemnity for consumers.",
    ),
    Setting(
        "b2c_terms_allow_damages",
        _h(
            "Terms allow consumer damages",
            "CGV prévoient des frais (consommateurs)",
            "Voorwaarden voorzien kosten (consumenten)",
            "AGB erlauben Verbraucherkosten",
        ),
        type="choice",
        choices=YES_NO,
        help="yes only when your general terms state the interest and indemnity.",
    ),
    Setting(
        "b2c_interest_rate",
        _h(
            "Consumer interest rate (%)",
            "Taux d'intérêt consommateurs (%)",
            "Intrestvoet consumenten (%)",
            "Zinssatz Verbraucher (%)",
        ),
        type="percent",
        help="As your general terms state it; empty = the legal maximum. The first reminder announces it.",
    ),
    Setting(
        "b2c_fixed_compensation",
        _h(
            "Consumer fixed compensation",
            "Indemnité forfaitaire consommateurs",
            "Forfaitaire schadevergoeding consumenten",
            "Pauschalentschädigung Verbraucher",
        ),
        type="money",
        help="As your general terms state it; empty = the maximum of art. XIX.4. Never more than that maximum.",
    ),
    Setting(
        "waive_extras",
        _h(
            "Waive interest and compensation",
            "Renoncer aux intérêts et à l'indemnité",
            "Afzien van intresten en vergoeding",
            "Auf Zinsen und Pauschale verzichten",
        ),
        type="choice",
        choices=YES_NO,
        help="yes: letters ask for the invoice balance only and payments settle it directly.",
    ),
    Setting(
        "min_gap_days",
        _h(
            "Days between reminders (minimum)",
            "Jours entre deux rappels (minimum)",
            "Dagen tussen herinneringen (minimum)",
            "Tage zwischen Mahnungen (mindestens)",
        ),
        type="number",
        help="No stage is sent sooner after the previous one, nor before the deadline the previous one gave.",
    ),
    Setting(
        "thank_you_days",
        _h(
            "Thank-you up to (days after payment)",
            "Remerciement jusqu'à (jours après paiement)",
            "Bedankje tot (dagen na betaling)",
            "Dank bis (Tage nach Zahlung)",
        ),
        type="number",
    ),
    Setting(
        "collection_agent",
        _h("Collection agent", "Mandataire de recouvrement", "Incassomandataris", "Inkassobeauftragter"),
        help="The collection agency, lawyer or bailiff you handed the file to. The handover letter names them; "
        "without a name it only announces the handover.",
    ),
    Setting(
        "default_scenario",
        _h("Default scenario", "Scénario par défaut", "Standaardscenario", "Standardszenario"),
        choices=SCENARIOS,
    ),
    Setting(
        "publish_target",
        _h("Publish to", "Publier vers", "Publiceren naar", "Veröffentlichen nach"),
        help="A folder, rclone:REMOTE:PATH or git:URL#BRANCH.",
    ),
    Setting(
        "retention_days",
        _h(
            "Keep paid pages (days)",
            "Garder les pages payées (jours)",
            "Betaalde pagina's bewaren (dagen)",
            "Bezahlte Seiten behalten (Tage)",
        ),
        type="number",
    ),
    Setting(
        "encrypt_pages",
        _h("Encrypt pages", "Chiffrer les pages", "Pagina's versleutelen", "Seiten verschlüsseln"),
        type="choice",
        choices=YES_NO,
    ),
    Setting(
        "logo",
        _h("Logo (image file)", "Logo (fichier image)", "Logo (afbeeldingsbestand)", "Logo (Bilddatei)"),
        help="Optional: a PNG, JPEG or SVG file in this workbook's folder (or a subfolder), e.g. logo.png. "
        "Shown beside your name on every page, from the site itself.",
        aliases=("logo file", "fichier logo", "logobestand", "logodatei"),
    ),
    Setting("smtp_host", _h("SMTP server", "Serveur SMTP", "SMTP-server", "SMTP-Server")),
    Setting("smtp_port", _h("SMTP port", "Port SMTP", "SMTP-poort", "SMTP-Port"), type="number"),
    Setting(
        "smtp_user",
        _h("SMTP user", "Utilisateur SMTP", "SMTP-gebruiker", "SMTP-Benutzer"),
        help="The password comes from the DEBTOR_PORTAL_SMTP_PASSWORD environment variable or the keyring.",
    ),
    Setting("smtp_from", _h("Send from", "Expéditeur", "Afzender", "Absender"), type="email"),
    Setting(
        "as_of",
        _h("As of date", "Date de référence", "Peildatum", "Stichtag"),
        type="date",
        help="Leave empty to use today. The sample fixes it so the demo shows every stage.",
    ),
)

SETTINGS_TABLE = Table(
    "settings",
    _h("Settings", "Paramètres", "Instellingen", "Einstellungen"),
    (
        Column(
            "setting",
            _h("Setting", "Paramètre", "Instelling", "Einstellung"),
            "text",
            required=True,
            width=34,
            aliases=("key", "cle", "sleutel", "schlussel", "parameter"),
        ),
        Column("value", _h("Value", "Valeur", "Waarde", "Wert"), "text", width=40),
        Column("help", _h("Help", "Aide", "Hulp", "Hilfe"), "text", width=70),
    ),
    aliases=("config", "configuration", "parametres", "creancier", "creditor"),
)

CUSTOMERS = Table(
    "customers",
    _h("Customers", "Clients", "Klanten", "Kunden"),
    (
        Column(
            "id",
            _h("Customer ID", "ID client", "Klant-ID", "Kunden-ID"),
            "text",
            required=True,
            width=12,
            aliases=(
                "customer",
                "client",
                "klant",
                "kunde",
                "code client",
                "klantnummer",
                "kundennummer",
                "customer number",
                "numero client",
            ),
        ),
        Column(
            "name",
            _h("Name", "Nom", "Naam", "Name"),
            "text",
            required=True,
            width=30,
            aliases=("customer name", "nom du client", "naam klant", "kundenname", "raison sociale"),
        ),
        Column("language", _h("Language", "Langue", "Taal", "Sprache"), "choice", choices=LANGUAGES, width=10),
        Column("email", _h("E-mail", "E-mail", "E-mail", "E-Mail"), "email", width=28, aliases=("courriel", "mail")),
        Column("phone", _h("Phone", "Téléphone", "Telefoon", "Telefon"), "text", width=16),
        Column("address", _h("Address", "Adresse", "Adres", "Adresse"), "text", width=36),
        Column(
            "vat",
            _h("VAT number", "N° TVA", "Btw-nummer", "USt-IdNr."),
            "text",
            width=16,
            aliases=("tva", "btw", "ondernemingsnummer", "enterprise number", "numero d'entreprise"),
        ),
        Column(
            "kind",
            _h("B2B/B2C", "B2B/B2C", "B2B/B2C", "B2B/B2C"),
            "choice",
            choices=KINDS,
            width=9,
            aliases=("type", "kind", "customer type", "type de client", "soort"),
        ),
        Column(
            "scenario",
            _h("Scenario", "Scénario", "Scenario", "Szenario"),
            "text",
            choices=SCENARIOS,
            width=11,
            help="gentle, standard, strict or one of your own from the Scenarios sheet.",
        ),
        Column(
            "on_hold",
            _h("On hold", "En suspens", "On hold", "Angehalten"),
            "choice",
            choices=YES_NO,
            width=9,
            aliases=("hold", "bloque", "geblokkeerd", "gesperrt"),
        ),
        Column("hold_reason", _h("Hold reason", "Motif de suspension", "Reden on hold", "Grund"), "text", width=24),
    ),
    required=True,
    aliases=("debtors", "debiteurs", "debiteuren", "schuldner", "klant"),
)

INVOICES = Table(
    "invoices",
    _h("Invoices", "Factures", "Facturen", "Rechnungen"),
    (
        Column(
            "number",
            _h("Invoice number", "N° facture", "Factuurnummer", "Rechnungsnummer"),
            "text",
            required=True,
            width=14,
            aliases=(
                "invoice",
                "invoice no",
                "numero de facture",
                "facture",
                "factuur",
                "rechnung",
                "number",
                "numero",
                "nummer",
                "invoice #",
                "no facture",
                "n facture",
            ),
        ),
        Column(
            "kind",
            _h("Type", "Type", "Soort", "Art"),
            "choice",
            choices=DOCUMENT_KINDS,
            width=11,
            aliases=("document type", "type de document", "documenttype", "belegart"),
            help="invoice or credit note; a credit note's amount is subtracted.",
        ),
        Column(
            "customer_id",
            _h("Customer ID", "ID client", "Klant-ID", "Kunden-ID"),
            "text",
            required=True,
            width=12,
            aliases=("customer", "client", "klant", "kunde", "code client", "klantnummer"),
        ),
        Column(
            "customer_name",
            _h("Customer name", "Nom du client", "Naam klant", "Kundenname"),
            "text",
            width=26,
            aliases=("name", "nom", "naam", "debiteur", "debtor", "schuldner"),
        ),
        Column(
            "issue_date",
            _h("Issue date", "Date de facture", "Factuurdatum", "Rechnungsdatum"),
            "date",
            required=True,
            width=12,
            aliases=("date", "datum", "invoice date", "date d'emission", "date facture", "uitgiftedatum"),
        ),
        Column(
            "due_date",
            _h("Due date", "Échéance", "Vervaldatum", "Fälligkeitsdatum"),
            "date",
            width=12,
            aliases=("due", "date d'echeance", "echeance", "vervaldag", "fallig", "fallig am", "payment due"),
        ),
        Column(
            "terms_days",
            _h("Terms (days)", "Délai (jours)", "Termijn (dagen)", "Zahlungsziel (Tage)"),
            "number",
            width=10,
            help="Used when the due date is empty.",
        ),
        Column(
            "amount",
            _h("Amount incl. VAT", "Montant TVAC", "Bedrag incl. btw", "Betrag brutto"),
            "money",
            required=True,
            width=14,
            aliases=(
                "amount",
                "montant",
                "bedrag",
                "betrag",
                "total",
                "montant du",
                "montant ttc",
                "te betalen",
                "amount due",
                "invoice amount",
                "totaal",
                "gesamtbetrag",
            ),
        ),
        Column(
            "currency",
            _h("Currency", "Devise", "Munt", "Währung"),
            "text",
            width=9,
            aliases=("ccy", "monnaie", "valuta"),
        ),
        Column(
            "description",
            _h("Description", "Description", "Omschrijving", "Beschreibung"),
            "text",
            width=32,
            aliases=("libelle", "objet", "subject"),
        ),
        Column(
            "order_ref",
            _h("Order reference", "Référence commande", "Bestelreferentie", "Bestellnummer"),
            "text",
            width=16,
            aliases=("po", "purchase order", "bon de commande", "bestelbon"),
        ),
        Column(
            "reference",
            _h(
                "Structured reference",
                "Communication structurée",
                "Gestructureerde mededeling",
                "Strukturierte Mitteilung",
            ),
            "text",
            width=22,
            aliases=(
                "ogm",
                "vcs",
                "payment reference",
                "reference de paiement",
                "betalingsreferentie",
                "communication",
                "mededeling",
            ),
            help="Left empty, it is made from the invoice number.",
        ),
        Column(
            "discount_pct",
            _h("Discount %", "Escompte %", "Korting %", "Skonto %"),
            "percent",
            width=10,
            aliases=("escompte", "korting", "skonto", "early payment discount"),
        ),
        Column(
            "discount_date", _h("Discount until", "Escompte jusqu'au", "Korting tot", "Skonto bis"), "date", width=12
        ),
        Column(
            "pdf",
            _h("PDF file", "Fichier PDF", "PDF-bestand", "PDF-Datei"),
            "text",
            width=20,
            aliases=("pdf", "file", "fichier", "bestand", "datei"),
        ),
        Column(
            "on_hold",
            _h("On hold", "En suspens", "On hold", "Angehalten"),
            "choice",
            choices=YES_NO,
            width=9,
            aliases=("hold", "bloque", "geblokkeerd"),
        ),
        Column(
            "disputed",
            _h("Disputed", "Contesté", "Betwist", "Bestritten"),
            "choice",
            choices=YES_NO,
            width=9,
            aliases=("dispute", "litige", "geschil"),
        ),
        Column(
            "written_off",
            _h("Written off", "Passé en perte", "Afgeschreven", "Abgeschrieben"),
            "choice",
            choices=YES_NO,
            width=10,
            aliases=("write off", "irrecouvrable", "oninbaar"),
        ),
        Column(
            "paid",
            _h("Paid", "Payé", "Betaald", "Bezahlt"),
            "money",
            managed=True,
            width=12,
            aliases=("amount paid", "montant paye", "betaald bedrag"),
        ),
        Column(
            "balance",
            _h("Balance", "Solde", "Saldo", "Saldo"),
            "money",
            managed=True,
            width=12,
            aliases=("open", "reste du", "openstaand", "offen"),
        ),
        Column(
            "status",
            _h("Status", "Statut", "Status", "Status"),
            "text",
            managed=True,
            width=14,
            aliases=("etat", "toestand"),
        ),
        Column(
            "days_overdue",
            _h("Days overdue", "Jours de retard", "Dagen te laat", "Tage überfällig"),
            "number",
            managed=True,
            width=10,
            aliases=("retard", "achterstand", "verzug"),
        ),
        Column(
            "stage",
            _h("Stage", "Étape", "Fase", "Stufe"),
            "text",
            managed=True,
            width=16,
            aliases=("niveau de relance", "aanmaningsfase", "mahnstufe"),
        ),
        Column(
            "next_action",
            _h("Next action", "Prochaine action", "Volgende actie", "Nächste Aktion"),
            "text",
            managed=True,
            width=22,
            aliases=("action", "todo", "a faire"),
        ),
        Column(
            "next_action_date",
            _h("Next action date", "Date prochaine action", "Datum volgende actie", "Datum nächste Aktion"),
            "date",
            managed=True,
            width=12,
        ),
        Column(
            "last_reminder",
            _h("Last reminder", "Dernier rappel", "Laatste herinnering", "Letzte Mahnung"),
            "date",
            managed=True,
            width=12,
            aliases=("dernier contact", "last contact", "laatste contact", "letzter kontakt", "derniere relance"),
        ),
        Column(
            "portal_link",
            _h("Portal link", "Lien portail", "Portaallink", "Portal-Link"),
            "text",
            managed=True,
            width=30,
            aliases=("link", "lien", "url"),
        ),
    ),
    required=True,
    aliases=(
        "invoice",
        "facture",
        "factuur",
        "rechnung",
        "openstaande facturen",
        "impayes",
        "encours",
        "receivables",
        "creances",
        "vorderingen",
        "forderungen",
    ),
)

PAYMENTS = Table(
    "payments",
    _h("Payments", "Paiements", "Betalingen", "Zahlungen"),
    (
        Column(
            "date",
            _h("Date", "Date", "Datum", "Datum"),
            "date",
            required=True,
            width=12,
            aliases=("payment date", "date de paiement", "betaaldatum", "zahlungsdatum", "value date"),
        ),
        Column("amount", _h("Amount", "Montant", "Bedrag", "Betrag"), "money", required=True, width=14),
        Column(
            "reference",
            _h("Reference", "Référence", "Referentie", "Referenz"),
            "text",
            width=22,
            aliases=("communication", "mededeling", "verwendungszweck"),
        ),
        Column(
            "counterparty",
            _h("Paid by", "Payé par", "Betaald door", "Bezahlt von"),
            "text",
            width=26,
            aliases=("counterparty", "contrepartie", "tegenpartij", "name"),
        ),
        Column("counterparty_iban", _h("Payer IBAN", "IBAN payeur", "IBAN betaler", "IBAN Zahler"), "text", width=22),
        Column(
            "invoice",
            _h("Invoice number", "N° facture", "Factuurnummer", "Rechnungsnummer"),
            "text",
            width=14,
            aliases=("invoice", "facture", "factuur", "rechnung"),
        ),
        Column("source", _h("Source", "Source", "Bron", "Quelle"), "text", width=12),
        Column(
            "bank_ref",
            _h("Bank reference", "Référence bancaire", "Bankreferentie", "Bankreferenz"),
            "text",
            width=20,
            aliases=("bank entry reference", "entry reference", "reference de l'operation", "transactiereferentie"),
            help="The bank's own reference of the entry: importing the same statement again adds nothing.",
        ),
        Column(
            "suggested",
            _h("Confirmed (suggested)", "Confirmé (suggestion)", "Bevestigd (suggestie)", "Bestätigt (Vorschlag)"),
            "choice",
            choices=YES_NO,
            width=12,
            aliases=("suggested", "suggestion", "suggere", "voorgesteld", "vorgeschlagen", "confirmed", "confirme"),
            help="no: a match the import suggested by amount and payer; it counts once you set it to yes.",
        ),
    ),
    aliases=("reglements", "encaissements", "ontvangsten", "zahlungseingange"),
)

PLANS = Table(
    "plans",
    _h("Plans", "Plans", "Plannen", "Ratenpläne"),
    (
        Column(
            "invoice",
            _h("Invoice number", "N° facture", "Factuurnummer", "Rechnungsnummer"),
            "text",
            width=14,
            aliases=("invoice", "facture", "factuur"),
        ),
        Column("customer_id", _h("Customer ID", "ID client", "Klant-ID", "Kunden-ID"), "text", width=12),
        Column(
            "number",
            _h("Installment", "Échéance n°", "Termijn", "Rate"),
            "number",
            required=True,
            width=11,
            aliases=("installment number", "numero", "nummer"),
        ),
        Column(
            "due_date",
            _h("Due date", "Date d'échéance", "Vervaldatum", "Fälligkeitsdatum"),
            "date",
            required=True,
            width=12,
        ),
        Column("amount", _h("Amount", "Montant", "Bedrag", "Betrag"), "money", required=True, width=14),
    ),
    aliases=("payment plans", "plans de paiement", "afbetalingsplannen", "ratenplane", "installments"),
)

LOG = Table(
    "log",
    _h("Log", "Journal", "Logboek", "Protokoll"),
    (
        Column("date", _h("Date", "Date", "Datum", "Datum"), "date", required=True, width=12),
        Column("customer_id", _h("Customer ID", "ID client", "Klant-ID", "Kunden-ID"), "text", width=12),
        Column("invoice", _h("Invoice number", "N° facture", "Factuurnummer", "Rechnungsnummer"), "text", width=14),
        Column("channel", _h("Channel", "Canal", "Kanaal", "Kanal"), "choice", choices=CHANNELS, width=10),
        Column(
            "action",
            _h("Action", "Action", "Actie", "Aktion"),
            "text",
            required=True,
            width=18,
            help="A stage name (reminder_1, formal_notice…) or any note of your own.",
        ),
        Column("note", _h("Note", "Remarque", "Opmerking", "Notiz"), "text", width=40),
        Column(
            "sent_date",
            _h("Sent", "Envoyé", "Verzonden", "Versandt"),
            "date",
            width=12,
            help="The day the letter went out. Empty for a draft: fill it in (and the channel) once you sent it.",
        ),
        Column(
            "letter",
            _h("Letter record", "Données du courrier", "Briefgegevens", "Briefdaten"),
            "text",
            width=20,
            help="Written by Reminders: the letter's date, deadline, rates and amounts. Do not edit.",
        ),
    ),
    aliases=("contact log", "historique", "geschiedenis", "verlauf", "journal des contacts"),
)

SCENARIOS_TABLE = Table(
    "scenarios",
    _h("Scenarios", "Scénarios", "Scenario's", "Szenarien"),
    (
        Column("scenario", _h("Scenario", "Scénario", "Scenario", "Szenario"), "text", required=True, width=12),
        Column("stage", _h("Stage", "Étape", "Fase", "Stufe"), "text", required=True, width=16),
        Column(
            "offset_days",
            _h("Days from due date", "Jours après échéance", "Dagen na vervaldag", "Tage nach Fälligkeit"),
            "number",
            required=True,
            width=12,
            aliases=("offset", "days", "jours", "dagen", "tage"),
        ),
        Column("template", _h("Template", "Modèle", "Sjabloon", "Vorlage"), "text", width=18),
        Column("channel", _h("Channel", "Canal", "Kanaal", "Kanal"), "choice", choices=CHANNELS, width=10),
    ),
    aliases=("ladder", "relances", "aanmaningen", "mahnwesen"),
)

# The Reminders sheet: one row per reminder sent or prepared. Its headers are chosen so that
# fewer than three of them match any data table's headers: `reading.locate_tables` takes a
# sheet with three matching headers for a table it cannot find by sheet name.
REMINDERS_COLUMNS: tuple[Column, ...] = (
    Column("date", _h("Sent on", "Envoyé le", "Verzonden op", "Gesendet am"), "date", required=True, width=12),
    Column("customer_id", _h("Customer ID", "ID client", "Klant-ID", "Kunden-ID"), "text", width=12),
    Column("customer", _h("Recipient", "Destinataire", "Geadresseerde", "Empfänger"), "text", width=26),
    Column("email", _h("Sent to", "Envoyé à", "Verzonden naar", "Gesendet an"), "email", width=28),
    Column("invoice", _h("Invoice number", "N° facture", "Factuurnummer", "Rechnungsnummer"), "text", width=14),
    Column(
        "stage", _h("Reminder stage", "Niveau du rappel", "Herinneringsfase", "Mahnstufe erreicht"), "text", width=16
    ),
    Column(
        "subject", _h("E-mail subject", "Objet du courriel", "Onderwerp e-mail", "Betreff der E-Mail"), "text", width=36
    ),
    Column("body", _h("Message", "Message", "Bericht", "Nachricht"), "text", width=60),
    Column("link", _h("Portal page", "Page du portail", "Portaalpagina", "Portalseite"), "text", width=30),
    Column("eml_file", _h("E-mail file", "Fichier e-mail", "E-mailbestand", "E-Mail-Datei"), "text", width=30),
)
REMINDERS = Table(
    "reminders",
    _h("Reminders", "Rappels", "Herinneringen", "Mahnungen"),
    REMINDERS_COLUMNS,
    aliases=("reminders sent", "rappels envoyes", "verzonden herinneringen"),
)

TABLES: tuple[Table, ...] = (SETTINGS_TABLE, CUSTOMERS, INVOICES, PAYMENTS, PLANS, LOG, SCENARIOS_TABLE)
DATA_TABLES: tuple[Table, ...] = tuple(t for t in TABLES if t is not SETTINGS_TABLE)


def table(key: str) -> Table:
    return next(t for t in TABLES if t.key == key)


def setting(key: str) -> Setting:
    return next(s for s in SETTINGS if s.key == key)


def match_setting(label: object) -> Setting | None:
    n = normalize(label)
    if not n:
        return None
    return next((s for s in SETTINGS if n in s.names()), None)


def canonical_choice(value: object, choices: tuple[str, ...]) -> str | None:
    """The canonical choice a user's word stands for, or None.

    >>> canonical_choice("Oui", YES_NO), canonical_choice("Nederlands", LANGUAGES)
    ('yes', 'nl')
    """
    n = normalize(value)
    hit = _choice_names(choices).get(n) or CHOICE_ALIASES.get(n)
    return hit if hit in choices else None


@lru_cache(maxsize=64)  # a choice column's words, for every row
def _choice_names(choices: tuple[str, ...]) -> dict[str, str]:
    names: dict[str, str] = {}
    for c in choices:
        names.setdefault(normalize(c), c)
    return names
