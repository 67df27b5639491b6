package redis

import goredis "github.com/redis/go-redis/v9"

// Lua scripts. Each touches only keys of one grant (one hash slot), or one
// key. JSON records are never parsed in Lua: the Go side computes new values
// and the scripts apply them only if the values they were computed from are
// still there (compare-and-set), so every change is atomic without relying
// on cjson's lossy re-encoding.

// luaExtend raises a key's TTL to at least ms milliseconds (used for a
// grant's key index, which must outlive every member). prune drops from the
// index the names whose expiry (the score, Unix ms by the store's clock) is
// at or before now, so a grant that refreshes for months does not collect
// the names of every token it ever had. member is the name the index
// keeps of a key of the grant: the part after the grant's hash tag
// ("at:<hash>"), short enough (≤ 64 bytes) for Redis to keep a small index
// as a compact listpack rather than a skiplist.
const luaExtend = `
local function extend(key, ms)
  local cur = redis.call('PTTL', key)
  if cur == -1 or cur < tonumber(ms) then redis.call('PEXPIRE', key, ms) end
end
local function prune(key, now)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
end
local function member(key)
  local _, e = string.find(key, '}:', 1, true)
  return string.sub(key, e + 1)
end
`

// putCodeScript: KEYS grant, code, index; ARGV expected grant, code value,
// TTL ms, code expiry (Unix ms), now (Unix ms). Returns 0 if the grant
// changed, 2 if the code exists, 1 when stored.
var putCodeScript = goredis.NewScript(luaExtend + `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if not redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then return 2 end
prune(KEYS[3], ARGV[5])
redis.call('ZADD', KEYS[3], ARGV[4], member(KEYS[2]))
extend(KEYS[3], ARGV[3])
return 1
`)

// consumeCodeScript: KEYS grant, code, index. Returns false if the grant
// or the code is missing, else {consumed before (0/1), code record, grant
// record, code expiry (Unix ms) or ""}. Consuming a live code ("0" +
// record) deletes its key: the index keeps its name, scored by its expiry,
// and that is the tombstone a reuse finds (the record is then ""; an index
// written before format v3 holds the whole key name). A code consumed
// before format v3 keeps its key as "1" + record, its tombstone.
var consumeCodeScript = goredis.NewScript(luaExtend + `
local g = redis.call('GET', KEYS[1])
if not g then return false end
local v = redis.call('GET', KEYS[2])
if not v then
  local exp = redis.call('ZSCORE', KEYS[3], member(KEYS[2])) or redis.call('ZSCORE', KEYS[3], KEYS[2])
  if not exp then return false end
  return {1, '', g, exp}
end
local rec = string.sub(v, 2)
if string.sub(v, 1, 1) == '1' then return {1, rec, g, ''} end
redis.call('DEL', KEYS[2])
return {0, rec, g, ''}
`)

// luaSliding writes the "seen" key of a sliding access token (access.go)
// in the script that stores the token, so that a sliding token costs no
// extra round trip: seen gets value with TTL ttl, and both it and the
// token go into the grant's index with the token's expiry, so that
// revocation deletes them (a sliding token lives up to the grant's
// lifetime, not an hour). An empty value (a fixed token) writes nothing.
const luaSliding = `
local function sliding(index, at, seen, value, ttl, expiry)
  if value == '' then return end
  redis.call('SET', seen, value, 'PX', ttl)
  redis.call('ZADD', index, expiry, member(seen), expiry, member(at))
  extend(index, ttl)
end
`

// luaRetire retires the access token issued with a rotated refresh token
// (tokens.Seen.Retired): its "seen" becomes "<last> <idle> r<end>" (a
// fixed token gets "0 0 r<end>"), which the Go side reads as dead from end
// on and which useAccessScript never extends, and the token and its seen
// key lapse at end and leave the index (a sliding token put them there).
// A token already gone is left alone.
const luaRetire = `
local function retire(index, at, seen, endms, ttl)
  if redis.call('EXISTS', at) == 0 then return end
  local last, idle = '0', '0'
  local v = redis.call('GET', seen)
  if v then
    local l, i = string.match(v, '^(%d+) (%d+)')
    if l then last, idle = l, i end
  end
  redis.call('SET', seen, last .. ' ' .. idle .. ' r' .. endms, 'PX', ttl)
  local cur = redis.call('PTTL', at)
  if cur < 0 or cur > tonumber(ttl) then redis.call('PEXPIRE', at, ttl) end
  redis.call('ZREM', index, member(seen), member(at))
end
`

// issueScript: KEYS grant, at, rt, index, at's seen; ARGV expected grant,
// new grant, grant TTL, at value, at TTL, rt value, rt TTL, rt expiry, now
// (Unix ms), seen value ("" for a fixed token), at expiry (Unix ms).
// Returns 0 if the grant changed, 1 when stored. Fixed access tokens are
// not indexed: they live an hour at most, and without their grant nobody
// can read them (see keys.go).
var issueScript = goredis.NewScript(luaExtend + luaSliding + `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5])
redis.call('SET', KEYS[3], ARGV[6], 'PX', ARGV[7])
prune(KEYS[4], ARGV[9])
redis.call('ZADD', KEYS[4], ARGV[8], member(KEYS[3]))
extend(KEYS[4], ARGV[3])
extend(KEYS[4], ARGV[7])
sliding(KEYS[4], KEYS[2], KEYS[5], ARGV[10], ARGV[5], ARGV[11])
return 1
`)

// rotateScript: KEYS grant, old rt, at, rt, index, old rt's grace, grace
// of the old rt's predecessor, at's seen, then twice an access token to
// retire (tokens.Rotation.Retire) and its seen (keys that do not exist
// when none was named); ARGV expected grant, expected old rt, new grant, grant TTL, old rt's
// tombstone, at value, at TTL, rt value, rt TTL, rt expiry, now (Unix
// ms), grace response ("" for none), grace TTL, grace end (Unix ms), seen
// value ("" for a fixed token), at expiry (Unix ms), tombstone TTL,
// "1" if the tombstone ends with the grace window. Returns 0 if the grant
// or the old token changed, 1 when stored.
//
// The index lists what must go at revocation because it outlives the
// grace window; what lives only until then is left out of it, so that a
// burst of refreshes does not grow it: the tombstone of a token with a
// generation (tokens.RefreshToken.Tombstone) leaves it, that of an older
// token keeps its place (and the token's expiry); the grace response,
// which lives only for its window, is never in it (the predecessor's goes
// now: its successor, the old rt, is used); the old rt's access token
// (whichever of the two named exists) dies when the grace window ends and
// leaves it. Whatever a revocation leaves behind lapses with the grace
// window and cannot be read without the grant.
var rotateScript = goredis.NewScript(luaExtend + luaSliding + luaRetire + `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[17])
if ARGV[18] == '1' then redis.call('ZREM', KEYS[5], member(KEYS[2])) end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
redis.call('SET', KEYS[3], ARGV[6], 'PX', ARGV[7])
redis.call('SET', KEYS[4], ARGV[8], 'PX', ARGV[9])
redis.call('DEL', KEYS[7])
prune(KEYS[5], ARGV[11])
redis.call('ZADD', KEYS[5], ARGV[10], member(KEYS[4]))
if ARGV[12] ~= '' then redis.call('SET', KEYS[6], ARGV[12], 'PX', ARGV[13]) end
extend(KEYS[5], ARGV[4])
extend(KEYS[5], ARGV[9])
sliding(KEYS[5], KEYS[3], KEYS[8], ARGV[15], ARGV[7], ARGV[16])
retire(KEYS[5], KEYS[9], KEYS[10], ARGV[14], ARGV[13])
retire(KEYS[5], KEYS[11], KEYS[12], ARGV[14], ARGV[13])
return 1
`)

// casGrantScript: KEYS grant; ARGV expected, new. Replaces the grant
// keeping its TTL if it is unchanged; returns 0 or 1.
var casGrantScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1
`)

// revokeScript: KEYS grant, index. Deletes every key in the index (its
// members are the names after the grant's hash tag, or whole key names in
// an index written before), the grant and the index, and
// answers the grant as it was (nil if it was gone), so that the caller can
// drop it from the user and client listing sets.
// (Names pruned from the index belong to records that have lapsed; they are
// unreadable and go with their own TTL.)
var revokeScript = goredis.NewScript(`
local grant = redis.call('GET', KEYS[1])
local members = redis.call('ZRANGE', KEYS[2], 0, -1)
local _, e = string.find(KEYS[1], '}:', 1, true)
local tag = string.sub(KEYS[1], 1, e)
for i = 1, #members do
  if not string.find(members[i], '{', 1, true) then members[i] = tag .. members[i] end
end
for i = 1, #members, 500 do
  redis.call('DEL', unpack(members, i, math.min(i + 499, #members)))
end
redis.call('DEL', KEYS[1], KEYS[2])
return grant
`)

// lockScript: KEYS lock; ARGV value, TTL ms. Takes the lock only if no one
// holds it. The lock lapses by its Redis TTL alone, so replicas whose
// clocks disagree still never hold it together.
var lockScript = goredis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
`)

// unlockScript: KEYS lock; ARGV value. Deletes the lock only if it still
// holds value.
var unlockScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)
