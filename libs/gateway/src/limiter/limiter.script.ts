import { createHash } from 'node:crypto';

/**
 * The gateway's one-round-trip limiter (see libs/gateway/README.md). All times are integer
 * microseconds, so every value is exact in Lua's doubles and formatted with %.0f.
 *
 * KEYS[1]  plan rate-state hash      fields s (GCRA TAT), mw/mc (minute window start/count), hw/hc (hour)
 * KEYS[2]  endpoint rate-state hash  same fields (untouched when the endpoint has no limit)
 * KEYS[3]  quota counter (string)    units used in the period (untouched when the quota is unlimited)
 * ARGV[1]  now in µs, or '' to use Redis TIME (the default: one clock for every gateway process)
 * ARGV[2]  weight (billing units of this call)
 * ARGV[3..6]   plan perSecond, burst, perMinute, perHour (0 = no such window)
 * ARGV[7..10]  endpoint perSecond, burst, perMinute, perHour
 * ARGV[11] quota limit (-1 = unlimited), ARGV[12] 1 = hard / 0 = soft
 * ARGV[13] the counter's expiry in epoch ms, ARGV[14] its least TTL in ms (set on the period's first
 *          call; both fixed per period, so the whole command is the same on every call of a period)
 *
 * Phase 1 reads every window and the quota without writing; phase 2 writes only when the call is
 * allowed by all of them, so a rejected call consumes nothing.
 *
 * Returns { allowed (1/0), reason (0 ok, 1 rate, 2 quota), rejecting window (1..6, 0), retry µs,
 *           quota used, overage units, then per window 1..6: remaining, reset µs }.
 * Windows: 1 plan second, 2 plan minute, 3 plan hour, 4 endpoint second, 5 endpoint minute, 6 endpoint hour.
 */
export const LIMITER_LUA = `
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(ARGV[1])
end
local weight = tonumber(ARGV[2])
local MINUTE = 60000000
local HOUR = 3600000000

local out = {}
local allowed = 1
local rejecting = 0
local retry = 0
local writes = {}

local function num(v)
  if v then return tonumber(v) end
  return nil
end

-- one hash (plan or endpoint): evaluate its windows into slots base+1..base+3
local function evaluate(key, argBase, slotBase)
  local rate = tonumber(ARGV[argBase])
  local burst = tonumber(ARGV[argBase + 1])
  local perMinute = tonumber(ARGV[argBase + 2])
  local perHour = tonumber(ARGV[argBase + 3])
  if rate <= 0 and perMinute <= 0 and perHour <= 0 then
    for i = 1, 3 do out[slotBase + i] = { 0, 0, 0, 0 } end
    return
  end
  local f = redis.call('HMGET', key, 's', 'mw', 'mc', 'hw', 'hc')
  local w = { key = key, fields = {}, ttl = 0 }
  -- per second: GCRA, capacity rate + burst, one token every T µs
  if rate > 0 then
    local T = math.floor(1000000 / rate)
    local cap = rate + burst
    local tat = num(f[1]) or now
    if tat < now then tat = now end
    local available = math.floor((now + cap * T - tat) / T)
    if available >= 1 then
      local newTat = tat + T
      out[slotBase + 1] = { available - 1, newTat - now, available, tat - now }
      w.fields[#w.fields + 1] = 's'
      w.fields[#w.fields + 1] = string.format('%.0f', newTat)
      if newTat - now > w.ttl then w.ttl = newTat - now end
    else
      local wait = tat + T - cap * T - now
      out[slotBase + 1] = { 0, tat - now, 0, tat - now }
      allowed = 0
      if wait > retry then retry = wait; rejecting = slotBase + 1 end
    end
  else
    out[slotBase + 1] = { 0, 0, 0, 0 }
  end
  -- per minute / per hour: fixed windows aligned on the UTC minute / hour
  local specs = { { perMinute, MINUTE, 'mw', 'mc', 2, 3 }, { perHour, HOUR, 'hw', 'hc', 4, 5 } }
  for i = 1, 2 do
    local limit, size, wf, cf, wi, ci = specs[i][1], specs[i][2], specs[i][3], specs[i][4], specs[i][5], specs[i][6]
    local slot = slotBase + 1 + i
    if limit > 0 then
      local start = now - (now % size)
      local count = 0
      if num(f[wi]) == start then count = num(f[ci]) or 0 end
      local reset = start + size - now
      if count + 1 <= limit then
        out[slot] = { limit - count - 1, reset, limit - count, reset }
        w.fields[#w.fields + 1] = wf
        w.fields[#w.fields + 1] = string.format('%.0f', start)
        w.fields[#w.fields + 1] = cf
        w.fields[#w.fields + 1] = string.format('%.0f', count + 1)
        if reset > w.ttl then w.ttl = reset end
      else
        out[slot] = { math.max(0, limit - count), reset, math.max(0, limit - count), reset }
        allowed = 0
        if reset > retry then retry = reset; rejecting = slot end
      end
    else
      out[slot] = { 0, 0, 0, 0 }
    end
  end
  writes[#writes + 1] = w
end

evaluate(KEYS[1], 3, 0)
evaluate(KEYS[2], 7, 3)

local reason = 0
if allowed == 0 then reason = 1 end

local quotaLimit = tonumber(ARGV[11])
local used = 0
local overage = 0
if quotaLimit >= 0 then
  used = tonumber(redis.call('GET', KEYS[3]) or '0')
  if allowed == 1 then
    if ARGV[12] == '1' and used + weight > quotaLimit then
      allowed = 0
      reason = 2
    else
      overage = math.max(0, used + weight - quotaLimit) - math.max(0, used - quotaLimit)
    end
  end
end

if allowed == 1 then
  for _, w in ipairs(writes) do
    if #w.fields > 0 then
      redis.call('HSET', w.key, unpack(w.fields))
      redis.call('PEXPIRE', w.key, math.ceil(w.ttl / 1000) + 1000)
    end
  end
  if quotaLimit >= 0 then
    used = redis.call('INCRBY', KEYS[3], weight)
    if used == weight then
      local ttl = math.max(tonumber(ARGV[14]), tonumber(ARGV[13]) - math.floor(now / 1000))
      redis.call('PEXPIRE', KEYS[3], string.format('%.0f', ttl))
    end
  end
end

local result = { allowed, reason, rejecting, retry, used, overage }
-- a rejected call reports the windows as they stand (it consumed nothing)
local pick = 1
if allowed == 0 then pick = 3 end
for i = 1, 6 do
  result[#result + 1] = out[i][pick]
  result[#result + 1] = out[i][pick + 1]
end
return result
`;

export const LIMITER_LUA_SHA1 = createHash('sha1').update(LIMITER_LUA).digest('hex');
