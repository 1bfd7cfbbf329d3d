"""Fulfilment: picking accepted orders in batches, packing them and handing them over."""
