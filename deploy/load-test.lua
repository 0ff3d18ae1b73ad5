-- wrk script for deploy/load-test.sh: each connection cycles through the paths listed in a file (one a line, the
-- script's first argument), each wrk thread from its own offset, and the run ends with one RESULT line that the shell script
-- parses: requests, bytes, wrk's error counts (status counts answers outside 2xx and 3xx) and latency percentiles.
local paths = {}
local next_index = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then paths[#paths + 1] = line end
  end
  next_index = (thread_number * 7) % #paths
end

function request()
  next_index = next_index % #paths + 1
  return wrk.format(nil, paths[next_index])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_s=%.3f bytes=%d connect=%d read=%d write=%d status=%d timeout=%d " ..
    "mean_ms=%.2f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    summary.requests, summary.duration / 1e6, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean / 1000, latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
