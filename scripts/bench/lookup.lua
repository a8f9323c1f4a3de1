-- SPDX-License-Identifier: Apache-2.0
-- POST /subjects/{prefix}{k} (lookup) of an existing version v of subject k,
-- cycling over k = 0..S-1, v = 1..V (the schemas load.py preload registered).
-- args: S V prefix (percent-encoded)
dofile(os.getenv("BENCH_DIR") .. "/common.lua")
local reqs, i, n = {}, 0, 0
function init(args)
  local s, v = tonumber(args[1]), tonumber(args[2])
  local headers = { ["Content-Type"] = "application/vnd.schemaregistry.v1+json" }
  for k = 0, s - 1 do
    for ver = 1, v do
      local body = '{"schema":"' .. bench_schema_escaped("Bench" .. k, ver) .. '"}'
      reqs[#reqs + 1] = wrk.format("POST", "/subjects/" .. args[3] .. k, headers, body)
    end
  end
  n = #reqs
  i = (tid or 0) * 7919 % n
end
function request()
  i = i % n + 1
  return reqs[i]
end
