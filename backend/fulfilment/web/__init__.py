"""Fulfilment in the app: the API's moves, the pick, pack and hand-over pages, and the board."""
