-- SPDX-License-Identifier: Apache-2.0
-- Durable registrations, each request a schema the subject does not have yet.
--   args: new PREFIX WINDOW
--     a distinct schema (record N{tid}_{n}) under its own subject {PREFIX}{tid}-{n}
--   args: proto PREFIX WINDOW
--     as new, with a distinct Protobuf schema (message N{tid}_{n}, schemaType PROTOBUF)
--   args: json PREFIX WINDOW
--     as new, a distinct JSON Schema (schemaType JSON, title N{tid}_{n}; scenario 12)
--   args: evolve PREFIX WINDOW S BASE
--     the next version of subject {PREFIX}{k}, k cycling over 0..S-1, whose
--     version BASE holds load.py's bench_schema("Bench{k}", BASE): version v
--     adds field f{v} (string, default ""), so every step is BACKWARD compatible
--     and versions accumulate
-- After WINDOW seconds delay() parks each connection once its answer is in, so
-- nothing is in flight when wrk stops and the 200s counted here can be compared
-- exactly with what the server stored.
dofile(os.getenv("BENCH_DIR") .. "/common.lua")
local headers = { ["Content-Type"] = "application/vnd.schemaregistry.v1+json" }
local mode, prefix, stop_at, nsubj, base
counter, sent, ok, bad, first_sent, last_ok, bad_sample = 0, 0, 0, 0, 0, 0, ""
function init(args)
  mode, prefix = args[1], args[2]
  first_sent = now()
  stop_at = first_sent + tonumber(args[3])
  nsubj, base = tonumber(args[4] or 0), tonumber(args[5] or 0)
end
function delay()
  if now() >= stop_at then return 3600 * 1000 end
  return 0
end
function request()
  counter = counter + 1
  sent = sent + 1
  local path, schema
  if mode == "evolve" then
    -- with several wrk threads each takes its own slice of the subjects
    local k = (counter - 1) % nsubj
    local v = base + 1 + math.floor((counter - 1) / nsubj)
    path = "/subjects/" .. prefix .. k .. "/versions"
    schema = bench_schema_escaped("Bench" .. k, v)
  elseif mode == "proto" then
    path = "/subjects/" .. prefix .. tid .. "-" .. counter .. "/versions"
    schema = 'syntax = \\"proto3\\";\\npackage bench;\\n\\nmessage N' .. tid .. "_" .. counter ..
      ' {\\n  int64 id = 1;\\n  string name = 2;\\n  repeated string tags = 3;\\n}\\n'
    return wrk.format("POST", path, headers,
                      '{"schemaType":"PROTOBUF","schema":"' .. schema .. '"}')
  elseif mode == "json" then
    path = "/subjects/" .. prefix .. tid .. "-" .. counter .. "/versions"
    schema = '{\\"title\\":\\"N' .. tid .. "_" .. counter .. '\\",\\"type\\":\\"object\\",' ..
      '\\"properties\\":{\\"id\\":{\\"type\\":\\"integer\\"},' ..
      '\\"name\\":{\\"type\\":\\"string\\",\\"maxLength\\":64}},\\"required\\":[\\"id\\"]}'
    return wrk.format("POST", path, headers, '{"schemaType":"JSON","schema":"' .. schema .. '"}')
  else
    path = "/subjects/" .. prefix .. tid .. "-" .. counter .. "/versions"
    schema = bench_schema_escaped("N" .. tid .. "_" .. counter, 1)
  end
  return wrk.format("POST", path, headers, '{"schema":"' .. schema .. '"}')
end
function response(status, hdrs, body)
  if status == 200 and body:find('"id"', 1, true) then
    ok = ok + 1
    last_ok = now()
  else
    bad = bad + 1
    if bad_sample == "" then bad_sample = status .. ":" .. body:sub(1, 120):gsub("%s", "_") end
  end
end
function extra_report(ths)
  local s, o, b, t0, t1, sample = 0, 0, 0, math.huge, 0, ""
  for _, t in ipairs(ths) do
    s = s + t:get("sent")
    o = o + t:get("ok")
    b = b + t:get("bad")
    t0 = math.min(t0, t:get("first_sent"))
    t1 = math.max(t1, t:get("last_ok"))
    if sample == "" then sample = t:get("bad_sample") end
  end
  -- wrk calls request() once on thread 0 before the run to verify the script
  -- (script_verify_request); that request is never sent
  s = s - 1
  local rate = 0
  if t1 > t0 then rate = o / (t1 - t0) end
  return string.format("sent=%d acked=%d failed=%d reg_rps=%.0f reg_seconds=%.2f bad_sample=%s",
                       s, o, b, rate, t1 - t0, sample == "" and "-" or sample)
end
