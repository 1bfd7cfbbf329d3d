"""Products and categories: what the shop sells and at what price."""
