"""Shop pages benchmark: /shop, the cart and the checkout against the signed-in home page.

Starts the real server on the demo data (like ``foundation.py``), fills a cart with three products
through the shop's own form, then measures with wrk, one after the other in the same run: the
signed-in home page, ``/shop``, ``/shop/cart`` and ``/shop/checkout`` (the cart's cookie sent with
each). It does so ``BENCH_ROUNDS`` times, so that a burst of other work on a shared machine does not
land on one page only. Prints one line per page and round, and a summary with each shop page's
requests/s as a share of the home page's in the same round (the median over rounds, and each
round's). Target: every share ≥ 0.50.

Environment: BENCH_SECONDS (default 10), BENCH_CONNECTIONS (default 16 here), BENCH_ROUNDS (3).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("BENCH_CONNECTIONS", "16")

import foundation  # reads BENCH_CONNECTIONS when imported
import httpx
from foundation import HOST, BenchError

SHARE_TARGET = 0.50
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
PAGES = (("shop", "/shop"), ("shop_cart", "/shop/cart"), ("shop_checkout", "/shop/checkout"))
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
PRODUCT = re.compile(r'name="product_id" value="(\d+)"')


def fill_cart(base: str) -> str:
    """Add three products as a phone does; the Cookie header value of that visitor."""
    with httpx.Client(base_url=base, timeout=10, trust_env=False) as client:
        shop = client.get("/shop")
        products = PRODUCT.findall(shop.text)[:3]
        if shop.status_code != 200 or len(products) < 3 or not (token := CSRF.search(shop.text)):
            raise BenchError(f"/shop answered {shop.status_code} with {len(products)} products")
        for product in products:
            added = client.post("/shop/cart", data={"product_id": product, "_csrf_token": token[1]})
            if added.status_code != 303:
                raise BenchError(f"adding to the cart answered {added.status_code}")
        if client.get("/shop/checkout").status_code != 200:
            raise BenchError("the checkout page did not answer 200")
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def benchmark(work: Path) -> dict[str, Any]:
    port = foundation.free_port()
    env = foundation.server_env(work / "data", port)
    foundation.run_cli(["db", "upgrade"], env)
    foundation.run_cli(["demo", "--orders", "20"], env)
    base = f"http://{HOST}:{port}"
    server = foundation.start(
        "real", [sys.executable, "-m", "backend.cli", "serve", "--port", str(port)], env, work
    )
    try:
        foundation.wait_healthy(base, server, work / "real.log", timeout=120)
        home_cookie, shop_cookie = foundation.sign_in(base), fill_cart(base)
        rounds = [_round(base, home_cookie, shop_cookie) for _ in range(ROUNDS)]
    finally:
        foundation.stop(server)
    return {
        "summary": "shop_pages",
        "seconds": foundation.SECONDS,
        "connections": foundation.CONNECTIONS,
        "rounds": ROUNDS,
        "share_of_home": (shares := {name: _median(rounds, name) for name, _ in PAGES}),
        "share_of_home_by_round": rounds,
        "target_share_min": SHARE_TARGET,
        "targets_met": all(share >= SHARE_TARGET for share in shares.values()),
    }


def _round(base: str, home_cookie: str, shop_cookie: str) -> dict[str, float]:
    """The home page then each shop page, back to back: each page's share of the home page's req/s."""
    home = _rate("real_home", f"{base}/", home_cookie)
    return {name: round(_rate(name, f"{base}{path}", shop_cookie) / home, 3) for name, path in PAGES}


def _rate(name: str, url: str, cookie: str) -> float:
    return float(foundation.measure(name, url, [f"Cookie: {cookie}"])["requests_per_s"])


def _median(rounds: list[dict[str, float]], name: str) -> float:
    return round(statistics.median(shares[name] for shares in rounds), 3)


def main() -> int:
    def measured(work: Path) -> None:
        print(json.dumps(benchmark(work)), flush=True)

    return foundation.run_bounded(
        measured, ROUNDS * 4 * (foundation.SECONDS + foundation.WARMUP_SECONDS + 40) + 240, "shop"
    )


if __name__ == "__main__":
    sys.exit(main())
