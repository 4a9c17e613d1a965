-- wrk load for bench/feedback.py: each connection posts distinct events (valid UUIDs built from the
-- thread number and a counter) and replays every 20th one (same event_id → must be answered 200).
-- DRAFTS and TOKEN are substituted by the bench before the run.
local drafts = {DRAFTS}
local token = "TOKEN"
local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end

function init(args)
  counter, created, replayed, other, last = 0, 0, 0, 0, nil
  headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
end

function request()
  if last ~= nil and counter % 20 == 0 then
    local body = last
    last = nil
    return wrk.format("POST", "/api/v1/feedback/events", headers, body)
  end
  counter = counter + 1
  local eid = string.format("%08x-0000-4000-8000-%012x", tid, counter)
  local draft = drafts[(counter % #drafts) + 1]
  last = '{"event_id":"' .. eid .. '","draft_id":"' .. draft ..
         '","type":"shown","timings":{"ms_to_first_edit":' .. counter .. '}}'
  return wrk.format("POST", "/api/v1/feedback/events", headers, last)
end

function response(status, headers, body)
  if status == 201 then created = created + 1
  elseif status == 200 then replayed = replayed + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local c, r, o = 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created"); r = r + t:get("replayed"); o = o + t:get("other")
  end
  io.write(string.format('WRKJSON {"requests": %d, "duration_s": %.3f, "created": %d, "replayed": %d, ' ..
    '"other_status": %d, "socket_errors": %d, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f}\n',
    summary.requests, summary.duration / 1e6, c, r, o,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
