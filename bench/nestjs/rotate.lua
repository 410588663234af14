-- GET <path>/<i>, i rotating over 1..KEYS (default 100): the requests are
-- formatted once in init(), so wrk spends no more per request than with a fixed URL.
local path = os.getenv("ROUTE") or "/products"
local n = tonumber(os.getenv("KEYS") or "100")
local requests = {}
local i = 0
function init()
  for k = 1, n do
    requests[k] = wrk.format("GET", path .. "/" .. k)
  end
end
function request()
  i = i % n + 1
  return requests[i]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d %d %d %d\n", summary.requests, summary.duration,
    e.status + e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), e.status, e.connect, e.read, e.write, e.timeout))
end
