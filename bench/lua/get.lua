-- GET scenarios (ours: GET /get/foo, webdis: GET /GET/foo): the request is the
-- URL itself (plus the -H auth header for ours), so only the report is needed.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")
