-- SPDX-License-Identifier: Apache-2.0
-- Durable registration of NEW schemas: every request registers a distinct
-- schema (record name carries thread id + per-thread counter) under its own
-- subject {prefix}{tid}-{n}. After `window` seconds delay() parks every
-- connection once its answer is in, so nothing is in flight when wrk stops and
-- the 200s counted here can be compared exactly with what the server stored.
-- args: prefix window_seconds
dofile(os.getenv("BENCH_DIR") .. "/common.lua")
local headers = { ["Content-Type"] = "application/vnd.schemaregistry.v1+json" }
local prefix, stop_at
counter, sent, ok, bad, first_sent, last_ok, bad_sample = 0, 0, 0, 0, 0, 0, ""
function init(args)
  prefix = args[1]
  first_sent = now()
  stop_at = first_sent + tonumber(args[2])
end
function delay()
  if now() >= stop_at then return 3600 * 1000 end
  return 0
end
function request()
  counter = counter + 1
  sent = sent + 1
  local name = "N" .. tid .. "_" .. counter
  local body = '{"schema":"' .. bench_schema_escaped(name, 1) .. '"}'
  return wrk.format("POST", "/subjects/" .. prefix .. tid .. "-" .. counter .. "/versions",
                    headers, body)
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
  local rate = 0
  if t1 > t0 then rate = o / (t1 - t0) end
  return string.format("sent=%d acked=%d failed=%d reg_rps=%.0f reg_seconds=%.2f bad_sample=%s",
                       s, o, b, rate, t1 - t0, sample == "" and "-" or sample)
end
