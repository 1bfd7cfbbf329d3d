"""The home screen: what happened lately, live."""
