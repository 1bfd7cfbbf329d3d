"""Suppliers, purchase orders and receiving."""
