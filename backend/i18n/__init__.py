"""Languages: the compiled translation catalogs and their upkeep."""
