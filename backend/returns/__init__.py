"""Returns (RMA): a customer's request to send back delivered goods, the shop's decision, the
inspection on receipt (restocked or scrapped) and the refund (credit note and money back)."""
