-- Shared by every wrk scenario: at the end of a run, print one machine-readable
-- line that run.sh picks out of wrk's output (marker "BENCH_JSON ").
-- wrk's own text report rounds latencies and only shows fixed percentiles; this
-- gives exact microseconds and the error counters (errors.status = responses
-- with status > 399, i.e. the non-2xx/3xx answers we must not hide).
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"mean_us":%.1f,"max_us":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.mean, latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
