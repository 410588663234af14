-- Scenario "cluster-get", for ours on one Redis and ours on the cluster alike:
-- GET /get/key:<i>, i rotating over 0..CLUSTER_KEYS-1 (default 1000), so the
-- keys land on every master of the cluster (run.sh pre-populates them and
-- checks how they spread). The requests are formatted once, in init() (by
-- then wrk has set the Host header), so wrk spends no more per request than
-- with a fixed URL.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")
local n = tonumber(os.getenv("CLUSTER_KEYS") or "1000")
local requests = {}
local next_index = 0
function init()
  for i = 0, n - 1 do
    requests[i + 1] = wrk.format("GET", "/get/key:" .. i)
  end
end
function request()
  next_index = next_index % n + 1
  return requests[next_index]
end
