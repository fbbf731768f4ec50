"""Which variant of an experiment serves a unit (a customer): sticky, by a hash of its id.

The router in front of the service decides it (nginx: `split_clients` on the id the client
sends in ASSIGNMENT_HEADER, README "Impact of a new model") and names the variant in the
VARIANT_HEADER of each request it forwards, plus SHADOW_HEADER on a mirrored copy; the
service writes both into the prediction log. `assign` is the same rule
in Python, for anyone routing in-app and for the impact report's simulations: the same id
and salt always give the same variant, and ids split in the configured shares.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

VARIANT_HEADER = "X-Variant"  # set by the router (the canary's nginx) on each request
SHADOW_HEADER = "X-Shadow"  # "1" on a mirrored copy: its answer reaches no customer
ASSIGNMENT_HEADER = "X-Assignment-Id"  # the id the router hashes (the client sends it)
# A variant name as the log keeps it; anything else in the header is ignored (not a variant).
VARIANT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
HASH_SPACE = float(2**64)


def bucket(unit_id: str, salt: str = "") -> float:
    """A number in [0, 1), uniform over ids and fixed for each (salt, id)."""
    digest = hashlib.blake2b(f"{salt}:{unit_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / HASH_SPACE


def assign(unit_id: str, split: Mapping[str, float], salt: str = "") -> str:
    """The variant of `unit_id`: the shares of `split` (in its order) cut [0, 1) into ranges.

    A new salt reshuffles every id (a new experiment); keeping it keeps each id's variant.
    """
    total = sum(split.values())
    if not split or total <= 0 or min(split.values()) < 0:
        raise ValueError(f"split={dict(split)}: give each variant a share >= 0, summing above 0")
    point = bucket(unit_id, salt) * total
    upper = 0.0
    for variant, share in split.items():
        upper += share
        if point < upper:
            return variant
    return next(reversed(list(split)))  # rounding at the very top of the range


def variant_name(header: str | None) -> str | None:
    """The header's variant when it is a plain name (letters, digits, . _ -), else None."""
    if header is None or not VARIANT_NAME.fullmatch(header):
        return None
    return header
