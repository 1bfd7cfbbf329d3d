"""Customers: who orders, how to reach them, where they live."""
