-- wrk script: POST /api/v1/humanloop/request with a new request id every time (the body the
-- original Python client sends). Usage: wrk -s create.lua URL -- KEY
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
  if status ~= 200 or not string.find(body, '"success":true', 1, true) then
    errors = (errors or 0) + 1
  end
end

function done(summary, latency, requests)
  io.write(string.format("creates/s: %.0f  (p50 %.2f ms, p99 %.2f ms, non-2xx %d, %d creates)\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status,
    summary.requests))
end
