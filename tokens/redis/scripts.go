package redis

import goredis "github.com/redis/go-redis/v9"

// Lua scripts. Each touches only keys of one grant (one hash slot), or one
// key. JSON records are never parsed in Lua: the Go side computes new values
// and the scripts apply them only if the values they were computed from are
// still there (compare-and-set), so every change is atomic without relying
// on cjson's lossy re-encoding.

// luaExtend raises a key's TTL to at least ms milliseconds (used for a
// grant's key set, which must outlive every member).
const luaExtend = `
local function extend(key, ms)
  local cur = redis.call('PTTL', key)
  if cur == -1 or cur < tonumber(ms) then redis.call('PEXPIRE', key, ms) end
end
`

// putCodeScript: KEYS grant, code, set; ARGV expected grant, code value, TTL
// ms. Returns 0 if the grant changed, 2 if the code exists, 1 when stored.
var putCodeScript = goredis.NewScript(luaExtend + `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if not redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then return 2 end
redis.call('SADD', KEYS[3], KEYS[2])
extend(KEYS[3], ARGV[3])
return 1
`)

// consumeCodeScript: KEYS grant, code. Returns false if either is missing,
// else {consumed before (0/1), code JSON, grant JSON}, and marks the code
// consumed keeping its TTL.
var consumeCodeScript = goredis.NewScript(`
local g = redis.call('GET', KEYS[1])
if not g then return false end
local v = redis.call('GET', KEYS[2])
if not v then return false end
local rec = string.sub(v, 2)
if string.sub(v, 1, 1) == '1' then return {1, rec, g} end
redis.call('SET', KEYS[2], '1' .. rec, 'KEEPTTL')
return {0, rec, g}
`)

// issueScript: KEYS grant, at, rt, set; ARGV expected grant, new grant,
// grant TTL, at value, at TTL, rt value, rt TTL. Returns 0 if the grant
// changed, 1 when stored.
var issueScript = goredis.NewScript(luaExtend + `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5])
redis.call('SET', KEYS[3], ARGV[6], 'PX', ARGV[7])
redis.call('SADD', KEYS[4], KEYS[2], KEYS[3])
extend(KEYS[4], ARGV[3])
extend(KEYS[4], ARGV[5])
extend(KEYS[4], ARGV[7])
return 1
`)

// rotateScript: KEYS grant, old rt, at, rt, set; ARGV expected grant,
// expected old rt, new grant, grant TTL, rotated old rt, at value, at TTL,
// rt value, rt TTL. Returns 0 if the grant or the old token changed, 1 when
// stored. The old token keeps its own TTL.
var rotateScript = goredis.NewScript(luaExtend + `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[2], ARGV[5], 'KEEPTTL')
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
redis.call('SET', KEYS[3], ARGV[6], 'PX', ARGV[7])
redis.call('SET', KEYS[4], ARGV[8], 'PX', ARGV[9])
redis.call('SADD', KEYS[5], KEYS[3], KEYS[4])
extend(KEYS[5], ARGV[4])
extend(KEYS[5], ARGV[7])
extend(KEYS[5], ARGV[9])
return 1
`)

// casGrantScript: KEYS grant; ARGV expected, new. Replaces the grant
// keeping its TTL if it is unchanged; returns 0 or 1.
var casGrantScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1
`)

// revokeScript: KEYS grant, set. Deletes every key in the set, the grant
// and the set.
var revokeScript = goredis.NewScript(`
local members = redis.call('SMEMBERS', KEYS[2])
for i = 1, #members, 500 do
  redis.call('DEL', unpack(members, i, math.min(i + 499, #members)))
end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
`)

// lockScript: KEYS lock; ARGV value ("<expiry ms>:<random>"), now ms, TTL
// ms. Takes the lock if it is free or its holder's expiry (by the store's
// clock) has passed; returns 1 if taken, 0 if held.
var lockScript = goredis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then
  local exp = tonumber(string.match(v, '^(%d+):'))
  if exp and exp > tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1
`)

// unlockScript: KEYS lock; ARGV value. Deletes the lock only if it still
// holds value.
var unlockScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)
