-- GCRA with reservations over one shared budget: the twin of gcra.go, in
-- microseconds of Redis's own clock. KEYS[1] is the budget (a hash: tat,
-- the rate factor f0 set at t0, and x, the time its expiry was last set
-- for), KEYS[2] (given with a process id) the processes that use it (a
-- sorted set scored by when each last said so); one hash slot.
-- ARGV: step, window, max wait (-1: none), debt, throttled (0/1),
-- process id (empty: no heartbeat), mode (take, undo, probe), and for undo
-- the tat after and before the slot to give back (only then).
-- Returns {ok, wait, tat, processes, factor in millionths, step}.
-- A call runs TIME, HMGET and HSET; PEXPIRE about every 30 s, and the
-- heartbeat's four commands only when the process asks (once a second).
if redis.replicate_commands then redis.replicate_commands() end
local budget = KEYS[1]
local fmt, min, max = string.format, math.min, math.max
local t = redis.call('TIME')
local now = t[1] * 1000000 + t[2]
local v = redis.call('HMGET', budget, 'tat', 'f0', 't0', 'x')
local tat = tonumber(v[1]) or 0
local f0, t0 = tonumber(v[2]) or 1, tonumber(v[3]) or 0
local mode = ARGV[7]

-- aimd.factor and aimd.slowed
local f, slowed = min(1, f0 + 0.02 * (now - t0) / 1e6), false
if ARGV[5] == '1' and now - t0 >= 250000 then
  f, slowed = max(1 / 64, f * 0.7), true
end

-- gcra.at
local step = tonumber(ARGV[1])
if f < 1 then step = math.floor(min(step / f, 2 ^ 50)) end
local window = max(tonumber(ARGV[2]), step)

local ok, wait = 1, 0
if mode == 'undo' then
  if tat == tonumber(ARGV[8]) then tat = tonumber(ARGV[9]) end
elseif mode == 'take' then
  -- Calls paced in a process while Redis was away, as a GCRA debt: no
  -- more than the burst window.
  local base = max(tat, now)
  local debt = tonumber(ARGV[4])
  if debt > 0 then base = max(base, min(base + debt, now + window)) end
  -- gcra.reserve
  local new_tat = base + step
  wait = max(0, new_tat - window - now)
  local max_wait = tonumber(ARGV[3])
  if max_wait >= 0 and wait > max_wait then
    ok, tat = 0, base
  else
    tat = new_tat
  end
end
-- Kept while a slot is ahead or the factor climbs back, and a minute more;
-- the expiry is set 90 s past that, so most calls need not move it.
local need = max(tat, now) + 60000000
local kept = tonumber(v[4]) or 0
local write = mode ~= 'probe'
local expire = (write or slowed or v[1]) and (slowed or need > kept)
if expire then kept = need + 30000000 end
if slowed then
  redis.call('HSET', budget, 'tat', fmt('%.0f', tat), 'f0', tostring(f), 't0', fmt('%.0f', now), 'x', fmt('%.0f', kept))
elseif expire then
  redis.call('HSET', budget, 'tat', fmt('%.0f', tat), 'x', fmt('%.0f', kept))
elseif write then
  redis.call('HSET', budget, 'tat', fmt('%.0f', tat))
end
if expire then redis.call('PEXPIRE', budget, math.floor((kept - now) / 1000)) end

local n = 0
local pid = ARGV[6]
if pid ~= '' then
  local procs = KEYS[2]
  redis.call('ZADD', procs, fmt('%.0f', now), pid)
  redis.call('ZREMRANGEBYSCORE', procs, '-inf', fmt('%.0f', now - 10000000))
  redis.call('PEXPIRE', procs, 20000)
  n = redis.call('ZCARD', procs)
end
return {ok, wait, tat, n, math.floor(f * 1e6), step}
