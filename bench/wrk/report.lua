-- Prints one JSON object when wrk is done, so the harness reads figures instead of wrk's text.
--
-- wrk's own summary.errors.status only counts answers above 399: a 303 to /login (a session that
-- did not stick) would pass as a success. Each thread therefore counts non-2xx answers itself.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non_2xx = 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
  end
end

function done(summary, latency, requests)
  local not_ok = 0
  for _, thread in ipairs(threads) do
    not_ok = not_ok + thread:get("non_2xx")
  end
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "requests_per_s": %.1f, "p50_ms": %.2f, "p99_ms": %.2f, '
      .. '"max_ms": %.2f, "bytes_per_request": %d, "errors": {"connect": %d, "read": %d, "write": %d, '
      .. '"timeout": %d, "status_over_399": %d, "non_2xx": %d}}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.requests > 0 and math.floor(summary.bytes / summary.requests) or 0,
    errors.connect, errors.read, errors.write, errors.timeout, errors.status, not_ok
  ))
end
