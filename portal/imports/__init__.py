"""Files from outside, read into plain records: bank statements (camt.053/054, CODA) and e-invoices (Peppol UBL)."""
