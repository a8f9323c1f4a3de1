-- SPDX-License-Identifier: Apache-2.0
-- Scenario 12: the same compatibility check again and again,
-- POST /compatibility/subjects/{SUBJECT}/versions with the body in FILE
-- (jsonschema_load.py: the next version of a 200-property JSON schema against
-- its 50 versions, BACKWARD_TRANSITIVE). args: SUBJECT FILE
dofile(os.getenv("BENCH_DIR") .. "/common.lua")
local headers = { ["Content-Type"] = "application/vnd.schemaregistry.v1+json" }
local path, body
function init(args)
  path = "/compatibility/subjects/" .. args[1] .. "/versions"
  local f = assert(io.open(args[2], "r"))
  body = f:read("*a")
  f:close()
end
function request()
  return wrk.format("POST", path, headers, body)
end
