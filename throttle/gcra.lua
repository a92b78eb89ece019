-- GCRA with reservations over one shared budget: the twin of gcra.go, in
-- microseconds of Redis's own clock. KEYS[1] is the budget (a hash: tat,
-- and the rate factor f0 set at t0), KEYS[2] the processes that use it
-- (a sorted set scored by when each last said so); one hash slot.
-- ARGV: step, window, max wait (-1: none), debt, throttled (0/1),
-- process id (empty: no heartbeat), mode (take, undo, probe), and for undo
-- the tat after and before the slot to give back.
-- Returns {ok, wait, tat, processes, factor in millionths, step}.
if redis.replicate_commands then redis.replicate_commands() end
local budget, procs = KEYS[1], KEYS[2]
local g_step, g_window = tonumber(ARGV[1]), tonumber(ARGV[2])
local max_wait, debt = tonumber(ARGV[3]), tonumber(ARGV[4])
local pid, mode = ARGV[6], ARGV[7]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local function str(x) return string.format('%.0f', x) end

local v = redis.call('HMGET', budget, 'tat', 'f0', 't0')
local tat = tonumber(v[1]) or 0
local f0, t0 = tonumber(v[2]) or 1, tonumber(v[3]) or 0

-- aimd.factor and aimd.slowed
local f = math.min(1, f0 + 0.02 * (now - t0) / 1e6)
if ARGV[5] == '1' and now - t0 >= 250000 then
  f = math.max(1 / 64, f * 0.7)
  f0, t0 = f, now
  redis.call('HSET', budget, 'f0', tostring(f), 't0', str(now))
end

-- gcra.at
local step = g_step
if f < 1 then step = math.floor(math.min(g_step / f, 2 ^ 50)) end
local window = math.max(g_window, step)

local ok, wait = 1, 0
if mode == 'undo' then
  if tat == tonumber(ARGV[8]) then tat = tonumber(ARGV[9]) end
  redis.call('HSET', budget, 'tat', str(tat))
elseif mode == 'take' then
  -- Calls paced in a process while Redis was away, as a GCRA debt: no
  -- more than the burst window.
  local base = math.max(tat, now)
  if debt > 0 then base = math.max(base, math.min(base + debt, now + window)) end
  -- gcra.reserve
  local new_tat = base + step
  wait = math.max(0, new_tat - window - now)
  if max_wait >= 0 and wait > max_wait then
    ok, tat = 0, base
  else
    tat = new_tat
  end
  redis.call('HSET', budget, 'tat', str(tat))
end
-- Kept while a slot is ahead or the factor climbs back, and a minute more.
redis.call('PEXPIRE', budget, math.floor(math.max(tat - now, 0) / 1000) + 60000)

local n = 0
if pid ~= '' then
  redis.call('ZADD', procs, str(now), pid)
  redis.call('ZREMRANGEBYSCORE', procs, '-inf', str(now - 10000000))
  redis.call('PEXPIRE', procs, 20000)
  n = redis.call('ZCARD', procs)
end
return {ok, wait, tat, n, math.floor(f * 1e6), step}
