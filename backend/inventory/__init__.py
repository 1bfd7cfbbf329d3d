"""Stock: exact quantities per product and location, the movements ledger, and reservations."""
