-- wrk script: GET /api/v1/humanloop/status of one stored request, as the Python client polls.
-- Usage: wrk -s status.lua "URL/api/v1/humanloop/status?conversation_id=…&request_id=…&platform=…" -- KEY
function init(args)
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. (args[1] or "gohumanloop")
end

function done(summary, latency, requests)
  io.write(string.format("status checks/s: %.0f  (p50 %.2f ms, p99 %.2f ms, non-2xx %d)\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status))
end
