"""Shop pages benchmark: /shop, the cart and the checkout against the signed-in home page.

Starts the real server on the demo data (like ``foundation.py``), fills a cart with three products
through the shop's own form, then measures with wrk, one after the other in the same run: the
signed-in home page, ``/shop``, ``/shop/cart`` and ``/shop/checkout`` (the cart's cookie sent with
each). Prints one line per page and a summary with each shop page's requests/s as a share of the
home page's. Target: every share ≥ 0.50.

Environment: BENCH_SECONDS (default 10) and BENCH_CONNECTIONS (default 16 here).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("BENCH_CONNECTIONS", "16")

import foundation  # reads BENCH_CONNECTIONS when imported
import httpx
from foundation import HOST, BenchError

SHARE_TARGET = 0.50
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
        home = foundation.measure("real_home", f"{base}/", [f"Cookie: {home_cookie}"])
        pages = {
            name: foundation.measure(name, f"{base}{path}", [f"Cookie: {shop_cookie}"])
            for name, path in (
                ("shop", "/shop"),
                ("shop_cart", "/shop/cart"),
                ("shop_checkout", "/shop/checkout"),
            )
        }
    finally:
        foundation.stop(server)
    shares = {name: round(page["requests_per_s"] / home["requests_per_s"], 3) for name, page in pages.items()}
    return {
        "summary": "shop_pages",
        "seconds": foundation.SECONDS,
        "connections": foundation.CONNECTIONS,
        "share_of_home": shares,
        "target_share_min": SHARE_TARGET,
        "targets_met": all(share >= SHARE_TARGET for share in shares.values()),
    }


def main() -> int:
    def measured(work: Path) -> None:
        print(json.dumps(benchmark(work)), flush=True)

    return foundation.run_bounded(
        measured, 4 * (foundation.SECONDS + foundation.WARMUP_SECONDS + 40) + 240, "shop"
    )


if __name__ == "__main__":
    sys.exit(main())
