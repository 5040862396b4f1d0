-- wrk script: GET /api/v1/humanloop/status of one stored request, as the Python client polls.
-- Usage: wrk -s status.lua "URL/api/v1/humanloop/status?conversation_id=…&request_id=…&platform=…" -- KEY
--
-- Checks itself: a reply that is not 2xx, or whose body lacks "success":true (an unknown
-- request is HTTP 200 with "success":false, the original protocol's soft failure), and every
-- socket error or time-out wrk saw are counted, printed in the summary line, and make wrk
-- print a "FAILED: …" line (with the first failed reply) and exit 1.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. (args[1] or "gohumanloop")
  non2xx, unsuccessful, sample = 0, 0, nil
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  elseif not string.find(body, '"success":true', 1, true) then
    unsuccessful = unsuccessful + 1
  else
    return
  end
  if sample == nil then
    sample = string.format("HTTP %d %s", status, string.sub(body or "", 1, 300))
  end
end

function done(summary, latency, requests)
  local non2xx, unsuccessful, sample = 0, 0, nil
  for _, thread in ipairs(threads) do
    non2xx = non2xx + (thread:get("non2xx") or 0)
    unsuccessful = unsuccessful + (thread:get("unsuccessful") or 0)
    sample = sample or thread:get("sample")
  end
  local e = summary.errors
  local socket = e.connect + e.read + e.write + e.timeout
  io.write(string.format("status checks/s: %.0f  (p50 %.2f ms, p99 %.2f ms, non-2xx %d, " ..
    "success:false %d, socket errors %d, %d checks)\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, non2xx, unsuccessful, socket,
    summary.requests))
  if non2xx + unsuccessful + socket > 0 then
    io.write(string.format("FAILED: %d status checks not 2xx, %d without \"success\":true; " ..
      "socket errors: connect %d, read %d, write %d, timeout %d; first failed reply: %s\n",
      non2xx, unsuccessful, e.connect, e.read, e.write, e.timeout, sample or "(none)"))
    io.stdout:flush()
    os.exit(1)
  end
end
