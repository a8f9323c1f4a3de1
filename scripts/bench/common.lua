-- SPDX-License-Identifier: Apache-2.0
-- Shared by the wrk scripts of scripts/bench.sh: a monotonic clock, the
-- thread registry, and done(), which prints one machine-readable line:
--   BENCH_RESULT rps=.. p50_ms=.. p99_ms=.. requests=.. seconds=.. non2xx=.. sockerr=.. [extra]
-- Scripts may define extra_report(threads) returning more "key=value" text.
local ffi = require("ffi")
pcall(ffi.cdef, [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk, bench_timespec *ts);
]])
local ts = ffi.new("bench_timespec")
function now()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

threads = {}
local nthreads = 0
function setup(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  local extra = ""
  if extra_report then extra = " " .. extra_report(threads) end
  io.write(string.format(
    "BENCH_RESULT rps=%.0f p50_ms=%.3f p99_ms=%.3f requests=%d seconds=%.2f non2xx=%d sockerr=%d%s\n",
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, secs, e.status, e.connect + e.read + e.write + e.timeout, extra))
end

-- The schema text load.py's bench_schema() builds, JSON-escaped for a body.
function bench_schema_escaped(name, version)
  local f = { '{\\"name\\":\\"id\\",\\"type\\":\\"long\\"}' }
  for j = 2, version do
    f[#f + 1] = '{\\"name\\":\\"f' .. j .. '\\",\\"type\\":\\"string\\",\\"default\\":\\"\\"}'
  end
  return '{\\"type\\":\\"record\\",\\"name\\":\\"' .. name ..
         '\\",\\"namespace\\":\\"bench\\",\\"fields\\":[' .. table.concat(f, ",") .. ']}'
end
