-- SPDX-License-Identifier: Apache-2.0
-- GET /subjects/{prefix}{k}/versions/latest cycling over k = 0..S-1.
-- args: S prefix (percent-encoded, e.g. "bench-s" or "%3A.bench%3Abench-s")
dofile(os.getenv("BENCH_DIR") .. "/common.lua")
local reqs, i, n = {}, 0, 0
function init(args)
  n = tonumber(args[1])
  for k = 0, n - 1 do
    reqs[k + 1] = wrk.format("GET", "/subjects/" .. args[2] .. k .. "/versions/latest")
  end
  i = (tid or 0) * 7919 % n
end
function request()
  i = i % n + 1
  return reqs[i]
end
