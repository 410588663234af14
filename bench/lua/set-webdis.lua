-- Webdis, scenario "set": webdis's own POST form, POST / with the command as
-- slash-separated text in the body.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")
wrk.method = "POST"
wrk.body = "SET/foo/bar"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
