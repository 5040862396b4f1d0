-- wrk script: POST /api/v1/humanloop/request with a new request id every time (the body the
-- original Python client sends). Usage: wrk -s create.lua URL -- KEY
--
-- Checks itself: a reply that is not 2xx, or whose body lacks "success":true (the hub answers a
-- refused create with HTTP 200 and "success":false, the original protocol's soft failure), and
-- every socket error or time-out wrk saw are counted, printed in the summary line, and make
-- wrk print a "FAILED: …" line (with the first failed reply) and exit 1.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

-- A prefix no earlier run used: wrk's Lua starts every run with the same random sequence,
-- and repeated ids would measure idempotent repeats instead of new requests.
local function unique_prefix()
  local f = io.open("/dev/urandom", "rb")
  local bytes = f:read(6)
  f:close()
  return (bytes:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

function init(args)
  key = args[1] or "gohumanloop"
  prefix = string.format("%d-%s", tid, unique_prefix())
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. key
  non2xx, unsuccessful, sample = 0, 0, nil
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"task_id":"bench","conversation_id":"c-%s","request_id":"r-%s-%d",' ..
    '"loop_type":"approval","context":{"message":"May I deploy build %d?",' ..
    '"question":"Please review and approve/reject this human loop execution."},' ..
    '"platform":"bench","metadata":{}}', prefix, prefix, counter, counter)
  return wrk.format(nil, "/api/v1/humanloop/request", nil, body)
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
  io.write(string.format("creates/s: %.0f  (p50 %.2f ms, p99 %.2f ms, non-2xx %d, " ..
    "success:false %d, socket errors %d, %d creates)\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, non2xx, unsuccessful, socket,
    summary.requests))
  if non2xx + unsuccessful + socket > 0 then
    io.write(string.format("FAILED: %d creates not 2xx, %d without \"success\":true; socket " ..
      "errors: connect %d, read %d, write %d, timeout %d; first failed reply: %s\n",
      non2xx, unsuccessful, e.connect, e.read, e.write, e.timeout, sample or "(none)"))
    io.stdout:flush()
    os.exit(1)
  end
end
