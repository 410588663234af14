-- Scenario "cluster-set", for ours on one Redis and ours on the cluster alike:
-- POST / with ["SET","key:<i>","bar"], i rotating over 0..CLUSTER_KEYS-1
-- (default 1000), so the keys land on every master of the cluster. The value
-- is the one run.sh pre-populates, so cluster-get keeps reading "bar". The
-- requests are formatted once, in init() (by then wrk has set the Host header).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")
local n = tonumber(os.getenv("CLUSTER_KEYS") or "1000")
local requests = {}
local next_index = 0
function init()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  for i = 0, n - 1 do
    requests[i + 1] = wrk.format(nil, "/", nil, string.format('["SET","key:%d","bar"]', i))
  end
end
function request()
  next_index = next_index % n + 1
  return requests[next_index]
end
