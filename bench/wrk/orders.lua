-- Places a different 3-line order on every request, each with its own Idempotency-Key, and reports
-- like report.lua (loaded from BENCH_REPORT_LUA). SKUs: BENCH_SKUS products named BENCH-0000….

dofile(os.getenv("BENCH_REPORT_LUA"))
local report_setup = setup
local next_thread = 0

function setup(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
  report_setup(thread)
end

local skus = tonumber(os.getenv("BENCH_SKUS") or "200")
-- Each wrk run has its own tag: keys and customers of the warm-up never come back in the measured
-- run (a key still being processed would rightly be answered 409).
local run = os.getenv("BENCH_RUN") or "0"
local counter = 0

local function line(sku_number, quantity)
  return string.format('{"sku": "BENCH-%04d", "quantity": %d}', sku_number, quantity)
end

function request()
  counter = counter + 1
  local tag = string.format("%s-%d-%d", run, thread_id, counter)
  local first = math.random(0, skus - 3)
  local lines = table.concat({
    line(first, math.random(1, 3)), line(first + 1, math.random(1, 3)), line(first + 2, math.random(1, 3)),
  }, ", ")
  local body = string.format(
    '{"customer": {"name": "Bench %s", "email": "b%s@bench.test", "phone": "+3361%07d"}, '
      .. '"lines": [%s], "fulfilment_mode": "delivery", "payment_method": "card", '
      .. '"address": {"line1": "%d rue du Banc", "city": "Paris", "postal_code": "75011", "country": "FR"}}',
    tag, tag, counter % 10000000, lines, counter % 200 + 1
  )
  -- wrk.format takes these instead of the -H headers (Host, Authorization): copy those in.
  local headers = {}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  headers["Content-Type"] = "application/json"
  headers["Idempotency-Key"] = "bench-" .. tag
  return wrk.format("POST", nil, headers, body)
end
