-- wrk script: POST /api/v1/initiate-call/ with a different number each
-- request (the API answers 429 to a repeat within 5 minutes).
local counter = 0
local token = os.getenv("CALL_MANAGER_TOKEN") or "bench-token"
local campaign = os.getenv("BENCH_CAMPAIGN_ID") or "1"
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
  table.insert(threads, thread)
end

function init(args)
  -- Disjoint ranges per thread and per run (the server lives across the
  -- runs; the number is counter mod 10^7): a number repeated within five
  -- minutes would be a 429.
  local run = tonumber(os.getenv("BENCH_RUN") or "0")
  counter = (run * 2 + id) * 1000000
end

request = function()
  counter = counter + 1
  local body = string.format('{"phone_number": "+97250%07d", "campaign_id": %s}', counter % 10000000, campaign)
  return wrk.format("POST", "/api/v1/initiate-call/", {
    ["Content-Type"] = "application/json",
    ["X-Auth-Token"] = token,
  }, body)
end

done = function(summary, latency, requests)
  local non2xx = summary.errors.status or 0
  io.write(string.format("non2xx=%d\n", non2xx))
end
