"""The kernel under every domain: the database and its runners, the event log, numbering,
settings, money and moments."""
