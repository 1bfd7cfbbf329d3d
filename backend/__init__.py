"""Comptoir: order management for small shops that sell and deliver."""
