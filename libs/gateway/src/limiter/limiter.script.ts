import { createHash } from 'node:crypto';

/**
 * The gateway's one-round-trip limiter (see libs/gateway/README.md). All times are integer
 * microseconds, so every value is exact in Lua's doubles and formatted with %.0f.
 *
 * KEYS[1]  plan rate-state hash      fields s (GCRA TAT), mw/mc (minute window start/count), hw/hc (hour),
 *                                    x (the hash's expiry instant in ms: PEXPIRE only when it must move)
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
 * allowed by all of them, so a rejected call consumes nothing. Written for Redis's CPU, which every
 * gateway process shares: no table per window, a window's start written only when it changes, the
 * hash's expiry moved about once a minute rather than on every call (bench:gateway's Redis column).
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

-- per window slot: remaining and reset after this call when it is allowed (ar, at), and as they
-- stand when it is not (sr, st); a window that does not exist stays 0
local ar = { 0, 0, 0, 0, 0, 0 }
local at = { 0, 0, 0, 0, 0, 0 }
local sr = { 0, 0, 0, 0, 0, 0 }
local st = { 0, 0, 0, 0, 0, 0 }
local allowed = 1
local rejecting = 0
local retry = 0

-- a fixed window aligned on the UTC minute / hour; appends its writes to fields, returns its TTL in µs
local function fixedWindow(limit, size, storedStart, storedCount, slot, fields, startField, countField)
  local start = now - (now % size)
  local count = 0
  local sameWindow = storedStart and tonumber(storedStart) == start
  if sameWindow then count = tonumber(storedCount) or 0 end
  local reset = start + size - now
  if count + 1 <= limit then
    ar[slot] = limit - count - 1
    at[slot] = reset
    sr[slot] = limit - count
    st[slot] = reset
    if not sameWindow then
      fields[#fields + 1] = startField
      fields[#fields + 1] = string.format('%.0f', start)
    end
    fields[#fields + 1] = countField
    fields[#fields + 1] = count + 1
    return reset
  end
  local left = limit - count
  if left < 0 then left = 0 end
  ar[slot] = left
  at[slot] = reset
  sr[slot] = left
  st[slot] = reset
  allowed = 0
  if reset > retry then
    retry = reset
    rejecting = slot
  end
  return 0
end

-- one hash (plan or endpoint) and its windows in slots base+1..base+3; returns its writes (HSET
-- arguments) and, when its expiry must move, its new TTL in ms
local function evaluate(key, argBase, slotBase)
  local rate = tonumber(ARGV[argBase])
  local perMinute = tonumber(ARGV[argBase + 2])
  local perHour = tonumber(ARGV[argBase + 3])
  if rate <= 0 and perMinute <= 0 and perHour <= 0 then return nil, nil end
  local f = redis.call('HMGET', key, 's', 'mw', 'mc', 'hw', 'hc', 'x')
  local fields = {}
  local ttl = 0
  -- per second: GCRA, capacity rate + burst, one token every T µs
  if rate > 0 then
    local T = math.floor(1000000 / rate)
    local cap = rate + tonumber(ARGV[argBase + 1])
    local tat = f[1] and tonumber(f[1]) or now
    if tat < now then tat = now end
    local available = math.floor((now + cap * T - tat) / T)
    local slot = slotBase + 1
    if available >= 1 then
      local newTat = tat + T
      ar[slot] = available - 1
      at[slot] = newTat - now
      sr[slot] = available
      st[slot] = tat - now
      fields[1] = 's'
      fields[2] = string.format('%.0f', newTat)
      ttl = newTat - now
    else
      at[slot] = tat - now
      st[slot] = tat - now
      allowed = 0
      local wait = tat + T - cap * T - now
      if wait > retry then
        retry = wait
        rejecting = slot
      end
    end
  end
  if perMinute > 0 then
    local t = fixedWindow(perMinute, 60000000, f[2], f[3], slotBase + 2, fields, 'mw', 'mc')
    if t > ttl then ttl = t end
  end
  if perHour > 0 then
    local t = fixedWindow(perHour, 3600000000, f[4], f[5], slotBase + 3, fields, 'hw', 'hc')
    if t > ttl then ttl = t end
  end
  -- the hash lives a second past its last window (ms); its expiry instant, kept in field x, is
  -- moved only when that comes too soon, then with a second of slack: about one PEXPIRE a minute
  local nowMs = math.floor(now / 1000)
  local needed = nowMs + math.ceil(ttl / 1000) + 1000
  if (f[6] and tonumber(f[6]) or 0) < needed then
    fields[#fields + 1] = 'x'
    fields[#fields + 1] = string.format('%.0f', needed + 1000)
    return fields, needed + 1000 - nowMs
  end
  return fields, nil
end

local planFields, planExpiry = evaluate(KEYS[1], 3, 0)
local endpointFields, endpointExpiry = evaluate(KEYS[2], 7, 3)

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
  if planFields and #planFields > 0 then
    redis.call('HSET', KEYS[1], unpack(planFields))
    if planExpiry then redis.call('PEXPIRE', KEYS[1], planExpiry) end
  end
  if endpointFields and #endpointFields > 0 then
    redis.call('HSET', KEYS[2], unpack(endpointFields))
    if endpointExpiry then redis.call('PEXPIRE', KEYS[2], endpointExpiry) end
  end
  if quotaLimit >= 0 then
    used = redis.call('INCRBY', KEYS[3], weight)
    if used == weight then
      local ttl = math.max(tonumber(ARGV[14]), tonumber(ARGV[13]) - math.floor(now / 1000))
      redis.call('PEXPIRE', KEYS[3], string.format('%.0f', ttl))
    end
  end
  return { 1, reason, rejecting, retry, used, overage,
    ar[1], at[1], ar[2], at[2], ar[3], at[3], ar[4], at[4], ar[5], at[5], ar[6], at[6] }
end
-- a rejected call reports the windows as they stand (it consumed nothing)
return { 0, reason, rejecting, retry, used, overage,
  sr[1], st[1], sr[2], st[2], sr[3], st[3], sr[4], st[4], sr[5], st[5], sr[6], st[6] }
`;

export const LIMITER_LUA_SHA1 = createHash('sha1').update(LIMITER_LUA).digest('hex');
