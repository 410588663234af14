-- wrk script: every request carries the next session cookie of COOKIES_FILE (one Cookie header value per line).
local cookies = {}
for line in io.lines(os.getenv('COOKIES_FILE')) do cookies[#cookies + 1] = line end
local i = 0
request = function()
  i = i % #cookies + 1
  return wrk.format('GET', nil, { Cookie = cookies[i] })
end
