#!lua name=herald
-- Herald's history library (PROTOCOL.md §11), loaded by every Herald instance at start with FUNCTION LOAD REPLACE.
-- Herald fills in the three settings below from its configuration. A topic's keys share its channel's hash tag,
-- so they live in the channel's slot on a Redis Cluster and the sharded publish stays on that node:
--   {<prefix><topic>}:pos  hash  e = epoch, o = offset of the topic's last event
--   {<prefix><topic>}:log  stream of the last SIZE events: o = offset, d = the envelope as published
-- Backends publish with history through Redis itself:
--   FCALL herald_publish 2 {herald:share:s1}:log {herald:share:s1}:pos '<envelope>'
-- which answers [epoch, offset]. The function is atomic, so offsets of one topic never skip or repeat, whichever
-- instance or backend publishes.

local SIZE = __SIZE__          -- HERALD_HISTORY_SIZE: events kept per topic
local TTL = __TTL__            -- HERALD_HISTORY_TTL in milliseconds
local PUBLISH = '__PUBLISH__'  -- PUBLISH, or SPUBLISH on a Redis Cluster (Herald subscribes sharded there)
local PREFIX = '__PREFIX__'    -- HERALD_REDIS_PREFIX: a topic's channel is PREFIX .. topic
local MAX_ENVELOPE = 1048576   -- §3: an envelope is at most 1 MiB

local function now_ms()
    local t = redis.call('TIME')
    return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The channel a topic's key belongs to: the hash tag, {herald:share:s1}:log -> herald:share:s1.
local function channel_of(key)
    local open = string.find(key, '{', 1, true)
    local close = open and string.find(key, '}', open + 1, true)
    if not open or not close or close == open + 1 then
        return nil
    end
    return string.sub(key, open + 1, close - 1)
end

local function check_keys(keys)
    local channel = channel_of(keys[1] or '')
    if not channel or keys[1] ~= '{' .. channel .. '}:log' or keys[2] ~= '{' .. channel .. '}:pos' then
        error('herald: keys must be {<prefix><topic>}:log and {<prefix><topic>}:pos')
    end
    return channel
end

-- The topic's position, made (a new epoch at offset 0, its old log gone) when its history was lost or never was.
local function position(log, pos)
    local p = redis.call('HMGET', pos, 'e', 'o')
    if p[1] then
        return p[1], tonumber(p[2])
    end
    local t = redis.call('TIME')
    local epoch = string.format('%x%05x', tonumber(t[1]), tonumber(t[2]))
    redis.call('DEL', log)
    redis.call('HSET', pos, 'e', epoch, 'o', 0)
    redis.call('PEXPIRE', pos, TTL)
    return epoch, 0
end

-- KEYS: log, pos. ARGV: the envelope (§3 JSON naming the key's topic). Returns {epoch, offset}.
local function publish(keys, args)
    local channel = check_keys(keys)
    local body = args[1]
    if type(body) ~= 'string' or #body > MAX_ENVELOPE then
        return redis.error_reply('ERR herald_publish: no envelope, or one over 1 MiB')
    end
    local ok, env = pcall(cjson.decode, body)
    if not ok or type(env) ~= 'table' or type(env.topic) ~= 'string' or type(env.event_type) ~= 'string'
            or channel ~= PREFIX .. env.topic or not string.match(env.topic, '^[%w_.:@~-]+$') then
        return redis.error_reply('ERR herald_publish: not an envelope of the keys\' topic')
    end
    local log, pos = keys[1], keys[2]
    local epoch, offset = position(log, pos)
    offset = offset + 1
    local now = now_ms()
    redis.call('HSET', pos, 'o', offset)
    redis.call('XADD', log, 'MAXLEN', SIZE, '*', 'o', offset, 'd', body)
    redis.call('XTRIM', log, 'MINID', now - TTL)
    redis.call('PEXPIRE', pos, TTL)
    redis.call('PEXPIRE', log, TTL)
    -- What Herald instances receive: the envelope with its position first.
    local open = string.find(body, '{', 1, true)
    redis.call(PUBLISH, channel, '{"offset":' .. offset .. ',"epoch":"' .. epoch .. '",' .. string.sub(body, open + 1))
    return {epoch, offset}
end

-- KEYS: log, pos. Returns {epoch, offset}.
local function where(keys, args)
    check_keys(keys)
    local epoch, offset = position(keys[1], keys[2])
    return {epoch, offset}
end

-- KEYS: log, pos. ARGV: epoch, offset. Returns {epoch, offset, 1, o1, d1, o2, d2, ...} with the events after the
-- given position, oldest first, when the history holds every one of them; else {epoch, offset, 0}.
local function recover(keys, args)
    check_keys(keys)
    local log = keys[1]
    local epoch, offset = position(log, keys[2])
    local since = tonumber(args[2])
    if args[1] ~= epoch or not since or since < 0 or since > offset then
        return {epoch, offset, 0}
    end
    local missed = offset - since
    if missed == 0 then
        return {epoch, offset, 1}
    end
    if missed > SIZE then
        return {epoch, offset, 0}
    end
    local entries = redis.call('XREVRANGE', log, '+', '-', 'COUNT', missed)
    if #entries < missed then
        return {epoch, offset, 0}
    end
    local cutoff = now_ms() - TTL
    local out = {epoch, offset, 1}
    for i = missed, 1, -1 do
        local id, fields = entries[i][1], entries[i][2]
        if tonumber(string.match(id, '^(%d+)')) < cutoff then
            return {epoch, offset, 0} -- expired: no longer recoverable
        end
        local o, d
        for f = 1, #fields, 2 do
            if fields[f] == 'o' then o = tonumber(fields[f + 1]) elseif fields[f] == 'd' then d = fields[f + 1] end
        end
        if o ~= since + missed - i + 1 then
            return {epoch, offset, 0}
        end
        out[#out + 1] = o
        out[#out + 1] = d
    end
    return out
end

redis.register_function('herald_publish', publish)
redis.register_function('herald_position', where)
redis.register_function('herald_recover', recover)
