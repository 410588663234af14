-- Ours, scenario "pipeline": POST /pipeline with PIPELINE_SIZE (default 100)
-- SETs on distinct keys k0..k(N-1). Commands/s = requests/s x PIPELINE_SIZE.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")
local n = tonumber(os.getenv("PIPELINE_SIZE") or "100")
local parts = {}
for i = 0, n - 1 do
  parts[#parts + 1] = string.format('["SET","k%d","v"]', i)
end
wrk.method = "POST"
wrk.body = "[" .. table.concat(parts, ",") .. "]"
wrk.headers["Content-Type"] = "application/json"
