-- Ours, scenario "set": the Upstash form of a single command, POST / with a
-- JSON array body.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")
wrk.method = "POST"
wrk.body = '["SET","foo","bar"]'
wrk.headers["Content-Type"] = "application/json"
