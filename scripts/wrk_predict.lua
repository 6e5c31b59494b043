-- wrk script for POST /predict: one 784-value row per request (a fixed pseudo-random image), and a one-line JSON
-- summary at the end (requests/s, p50/p99 latency in ms, errors including non-2xx answers).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local values = {}
local state = 12345
for i = 1, 784 do
  state = (state * 1103515245 + 12345) % 2147483648
  values[i] = string.format("%.4f", state / 2147483648)
end
wrk.body = '{"data": [[' .. table.concat(values, ",") .. ']]}'

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format(
    '{"requests": %d, "seconds": %.2f, "requests_per_second": %.1f, "p50_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, ' ..
    '"errors": %d, "non_2xx": %d, "socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    errors, e.status, e.connect, e.read, e.write, e.timeout))
end
