-- wrk script: RFC 8058 one-click unsubscribe POSTs, each with a distinct
-- token, through a trusted proxy: every request carries its own
-- X-Forwarded-For address (10.x.y.z), as if from many mail providers'
-- hosts.
--
--   wrk -t2 -c50 -d30s --timeout 30s --latency -s oneclick.lua http://127.0.0.1:PORT -- paths.txt 2
--
-- args: the file of paths (one /u/TOKEN per line) and the number of wrk
-- threads. Thread i posts paths i+1, i+1+n, ... once each and stops when
-- all of its share are answered. wrk itself always waits for -d before
-- printing, which dilutes its Requests/sec, so done() prints the rate over
-- the real span: first request to last answer. Connections left idle once
-- the share is used up ask for /healthz, each from its own address so it
-- is never rate-limited (told apart by its "ok" body and not counted; a
-- few requests at the very end).

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk, bench_timespec *ts);
]]
local ts = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  local nthreads = tonumber(args[2] or "1")
  local i = 0
  for line in io.lines(args[1] or "paths.txt") do
    if i % nthreads == id then
      paths[#paths + 1] = line
    end
    i = i + 1
  end
  sent, answered, bad, first, last, extra = 0, 0, 0, 0, 0, 0
  body = "List-Unsubscribe=One-Click"
  share = #paths
  verifying = id == 0
end

function request()
  if verifying then
    -- wrk calls request() once in thread 0's state, before connecting,
    -- to check what it returns; that call must not use up a token.
    verifying = false
    return wrk.format("GET", "/healthz")
  end
  if sent >= #paths then
    extra = extra + 1
    return wrk.format("GET", "/healthz", { ["X-Forwarded-For"] = string.format("11.%d.%d.%d", id, math.floor(extra / 256) % 256, extra % 256) })
  end
  if sent == 0 then
    first = now()
  end
  sent = sent + 1
  local n = sent * 64 + id -- a distinct client address per request
  local xff = string.format("10.%d.%d.%d", math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
  return wrk.format("POST", paths[sent], {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Forwarded-For"] = xff,
  }, body)
end

function response(status, headers, rbody)
  if rbody == "ok\n" then
    return
  end
  answered = answered + 1
  if status ~= 200 then
    bad = bad + 1
  end
  if answered >= #paths then
    last = now()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local first, last, n, bad = math.huge, 0, 0, 0
  for _, t in ipairs(threads) do
    first = math.min(first, t:get("first"))
    last = math.max(last, t:get("last"))
    n = n + t:get("answered")
    bad = bad + t:get("bad")
    io.write(string.format("thread %d: sent %d answered %d of %d\n", t:get("id"), t:get("sent"), t:get("answered"), t:get("share")))
  end
  local span = last - first
  io.write(string.format("one-click POSTs answered: %d (non-200: %d) in %.2f s = %.0f req/s; p50 %.1f ms, p99 %.1f ms\n",
    n, bad, span, n / span, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
