"""Peppol BIS Billing 3.0 e-invoices written for the tests (UBL 2.1 Invoice and CreditNote)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

CREDITOR_IBAN = "BE71096123456769"  # the sample creditor's
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
    b"3 0 obj<</Type/Page/MediaBox[0 0 595 842]/Parent 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass(frozen=True)
class Buyer:
    name: str
    vat: str = ""
    email: str = ""
    street: str = ""
    postcode: str = ""
    city: str = ""
    country: str = "BE"


def einvoice(
    number: str,
    buyer: Buyer,
    amount: str,
    *,
    issued: date = date(2026, 11, 10),
    due: date | None = date(2026, 12, 10),
    credit_note: bool = False,
    payment_id: str = "",
    iban: str = CREDITOR_IBAN,
    pdf: bytes | None = None,
    currency: str = "EUR",
    preceding: str = "",
) -> bytes:
    root = "CreditNote" if credit_note else "Invoice"
    type_code = (
        "<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>"
        if credit_note
        else "<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>"
    )
    due_xml = f"<cbc:DueDate>{due.isoformat()}</cbc:DueDate>" if due and not credit_note else ""
    means_due = f"<cbc:PaymentDueDate>{due.isoformat()}</cbc:PaymentDueDate>" if due and credit_note else ""
    attachment = ""
    if pdf is not None:
        attachment = (
            "<cac:AdditionalDocumentReference><cbc:ID>" + escape(number) + "</cbc:ID><cac:Attachment>"
            f'<cbc:EmbeddedDocumentBinaryObject mimeCode="application/pdf" filename="{escape(number)}.pdf">'
            + base64.b64encode(pdf).decode()
            + "</cbc:EmbeddedDocumentBinaryObject></cac:Attachment></cac:AdditionalDocumentReference>"
        )
    billing = (
        f"<cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>{preceding}</cbc:ID>"
        "</cac:InvoiceDocumentReference></cac:BillingReference>"
        if preceding
        else ""
    )
    line = "CreditNoteLine" if credit_note else "InvoiceLine"
    quantity = "CreditedQuantity" if credit_note else "InvoicedQuantity"
    vat = (
        f"<cac:PartyTaxScheme><cbc:CompanyID>{buyer.vat}</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID>"
        "</cac:TaxScheme></cac:PartyTaxScheme>"
        if buyer.vat
        else ""
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2"
  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>
  <cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>
  <cbc:ID>{escape(number)}</cbc:ID>
  <cbc:IssueDate>{issued.isoformat()}</cbc:IssueDate>
  {due_xml}
  {type_code}
  <cbc:DocumentCurrencyCode>{currency}</cbc:DocumentCurrencyCode>
  <cbc:BuyerReference>PO-77</cbc:BuyerReference>
  {billing}
  {attachment}
  <cac:AccountingSupplierParty><cac:Party>
    <cbc:EndpointID schemeID="0208">0403170701</cbc:EndpointID>
    <cac:PostalAddress><cbc:StreetName>Rue de la Loi 42</cbc:StreetName><cbc:CityName>Etterbeek</cbc:CityName>
      <cbc:PostalZone>1040</cbc:PostalZone><cac:Country><cbc:IdentificationCode>BE</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
    <cac:PartyLegalEntity><cbc:RegistrationName>Atelier Lumière SRL</cbc:RegistrationName></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party>
    <cbc:EndpointID schemeID="0208">{buyer.vat.replace("BE", "")}</cbc:EndpointID>
    <cac:PostalAddress><cbc:StreetName>{escape(buyer.street)}</cbc:StreetName><cbc:CityName>{escape(buyer.city)}</cbc:CityName>
      <cbc:PostalZone>{buyer.postcode}</cbc:PostalZone><cac:Country><cbc:IdentificationCode>{buyer.country}</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
    {vat}
    <cac:PartyLegalEntity><cbc:RegistrationName>{escape(buyer.name)}</cbc:RegistrationName></cac:PartyLegalEntity>
    <cac:Contact><cbc:ElectronicMail>{escape(buyer.email)}</cbc:ElectronicMail></cac:Contact>
  </cac:Party></cac:AccountingCustomerParty>
  <cac:PaymentMeans>
    <cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>
    {means_due}
    {f"<cbc:PaymentID>{escape(payment_id)}</cbc:PaymentID>" if payment_id else ""}
    <cac:PayeeFinancialAccount><cbc:ID>{iban}</cbc:ID></cac:PayeeFinancialAccount>
  </cac:PaymentMeans>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="{currency}">{amount}</cbc:LineExtensionAmount>
    <cbc:TaxInclusiveAmount currencyID="{currency}">{amount}</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="{currency}">{amount}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  <cac:{line}><cbc:ID>1</cbc:ID><cbc:{quantity} unitCode="C62">1</cbc:{quantity}>
    <cbc:LineExtensionAmount currencyID="{currency}">{amount}</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>Conseil en éclairage</cbc:Name></cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="{currency}">{amount}</cbc:PriceAmount></cac:Price>
  </cac:{line}>
</{root}>
""".encode()
