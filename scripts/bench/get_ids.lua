-- SPDX-License-Identifier: Apache-2.0
-- GET /schemas/ids/{id} cycling over ids 1..N.  args: N [query, e.g. "?subject=%3A.bench%3A"]
-- env BENCH_AUTHORIZATION: an Authorization header value sent with every request
dofile(os.getenv("BENCH_DIR") .. "/common.lua")
local reqs, i, n = {}, 0, 0
function init(args)
  n = tonumber(args[1])
  local query = args[2] or ""
  local authz = os.getenv("BENCH_AUTHORIZATION")
  local headers = authz and { ["Authorization"] = authz } or nil
  for id = 1, n do reqs[id] = wrk.format("GET", "/schemas/ids/" .. id .. query, headers) end
  i = (tid or 0) * 7919 % n -- threads start at different ids
end
function request()
  i = i % n + 1
  return reqs[i]
end
