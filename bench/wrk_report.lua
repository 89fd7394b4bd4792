-- wrk's figures for bench/closed_loop.py as one JSON line. wrk counts HTTP status >= 400 in
-- errors.status; the caller checks each URL answers 200 before driving it.
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "http_errors": %d, "socket_errors": %d, "p50_us": %d, "p95_us": %d}\n',
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(95)))
end
