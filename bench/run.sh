#!/usr/bin/env bash
# Runs the benchmarks one after the other. Each prints JSON lines on stdout (see bench/README.md)
# and bounds its own run time; the exit status is non-zero if any of them failed.
set -euo pipefail
cd "$(dirname "$0")/.."

# The benchmarks, in the order they run: add new scripts here.
SCRIPTS=(
  bench/foundation.py
  bench/catalog.py
  bench/reservations.py
  bench/shop_pages.py
  bench/storefront.py
  bench/order_list.py
  bench/orders.py
  bench/fulfil_picks.py
  bench/delivery_plan.py
  bench/delivery_confirm.py
  bench/invoices.py
  bench/push_dispatch.py
  bench/live_fanout.py
)

if ! command -v wrk >/dev/null 2>&1; then
  echo "bench: wrk is not installed (it generates the load): apt-get install wrk" >&2
  exit 1
fi

# Like the Makefile: uv from PATH or from .tools, else the project's virtualenv.
UV="$(command -v uv || echo .tools/bin/uv)"
if [ -x "$UV" ]; then
  PYTHON=("$UV" run --frozen python)
elif [ -x .venv/bin/python ]; then
  PYTHON=(.venv/bin/python)
else
  echo "bench: neither uv nor .venv/bin/python found: run make install" >&2
  exit 1
fi

status=0
for script in "${SCRIPTS[@]}"; do
  echo "bench: running $script" >&2
  "${PYTHON[@]}" "$script" || { status=$?; echo "bench: $script FAILED (exit $status)" >&2; }
done
exit "$status"
