"""Invoices and credit notes, the Factur-X PDF, payments, refunds and balances."""
