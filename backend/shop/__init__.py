"""The shop's own profile: name, currency, time zone and default language."""
