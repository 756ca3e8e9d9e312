"""The fleet's use of Redis: connecting, naming keys, the Lua scripts, and its errors.

Every key starts with a prefix (``gws:`` by default) so several fleets can share one
Redis. The scripts run atomically on the server; a lease is a key holding
``{member}:{token}`` with an expiry, and the token comes from a per-key counter (a
fencing token: it only grows while Redis keeps its data).

Redis Cluster is not supported: a fenced append touches a lease key and a stream key in
one script, which Cluster allows only within one hash slot.
"""

from __future__ import annotations

import zlib
from typing import Any

from yarl import URL

from .._exceptions import GwsError

try:
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError as BrokenConnectionError
    from redis.exceptions import RedisError
except ImportError as exc:  # pragma: no cover - the optional extra is missing
    raise ImportError("gws_async.fleet needs redis-py: pip install 'gws-async[fleet]'") from exc

__all__ = [
    "DEFAULT_PREFIX",
    "DEFAULT_SHARDS",
    "FleetError",
    "Redis",
    "RedisError",
    "RedisUnavailableError",
    "connect",
    "redis_address",
    "shard_of",
]

Redis = aioredis.Redis

DEFAULT_PREFIX = "gws:"
"""Prefix of every key the fleet writes."""

DEFAULT_SHARDS = 16
"""Event streams an agent's events are spread over (by a hash of the agent's name)."""

#: Seconds allowed for one Redis command (connecting included) before it counts as a
#: failure; a blocking read adds its own block time.
COMMAND_TIMEOUT = 2.0

MAX_CONNECTIONS = 16
"""Connections one worker or consumer opens to Redis at most (its appends, renewals and
releases go in batches, one round trip each, so a few suffice whatever the agents)."""

POOL_TIMEOUT = 10.0
"""Seconds a command waits for a free connection when all :data:`MAX_CONNECTIONS` are
busy, before it fails like any Redis error."""

RETRIES = 3
"""Times a command that failed on a broken connection is sent again on a new one."""


class FleetError(GwsError):
    """A failure of the fleet layer (workers, leases, the Redis fan-out)."""


class RedisUnavailableError(FleetError):
    """Redis could not be reached or refused a command; ``address`` names it (without
    any credential)."""

    def __init__(self, address: str, operation: str, reason: str) -> None:
        super().__init__(f"Redis at {address}: {operation} failed: {reason}")
        self.address = address
        self.operation = operation


def redis_address(url: str) -> str:
    """``url`` without user name or password, for messages and logs."""
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        return "<invalid Redis URL>"
    host = parsed.host or "localhost"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{host}{port}{parsed.path if parsed.path != '/' else ''}"


def unavailable(address: str, operation: str, exc: BaseException) -> RedisUnavailableError:
    """The typed error for a failed Redis call. redis-py messages name host and port but
    never the password; only the exception's type and text are kept (raise it ``from
    None``) so no URL with credentials can travel in a ``__cause__``."""
    text = str(exc).replace("\n", " ")[:200]
    return RedisUnavailableError(address, operation, f"{type(exc).__name__}: {text}")


def connect(
    url: str,
    *,
    timeout: float = COMMAND_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
    retries: int = RETRIES,
) -> Redis:
    """A Redis client for ``url`` (``redis://[:password@]host:port/db``); it connects
    lazily, with ``timeout`` seconds for connecting and for each command.

    Its pool holds at most ``max_connections`` connections (:data:`MAX_CONNECTIONS`); a
    command that finds them all busy waits up to :data:`POOL_TIMEOUT` seconds for one
    rather than failing at once. A command that fails on a broken connection (Redis
    restarted, the socket was reset) is sent again on a new one, up to ``retries`` times
    (:data:`RETRIES`, after 0.05, 0.1, 0.2 s): every command and script the fleet sends is
    safe to run twice (the appends carry a batch id, see ``_publisher``). A command that
    timed out is not retried: Redis may be hung, and the caller's own loop decides.
    """
    if max_connections < 1 or retries < 0:
        raise ValueError("max_connections must be at least 1, retries not negative")
    try:
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=POOL_TIMEOUT,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            health_check_interval=10,
            decode_responses=False,
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries, (BrokenConnectionError,)),
        )
    except ValueError as exc:
        raise FleetError(f"invalid Redis URL {redis_address(url)!r}: {exc}") from None
    return aioredis.Redis.from_pool(pool)


def shard_of(agent: str, shards: int) -> int:
    """The event stream shard of ``agent``: stable across processes and hosts."""
    return zlib.crc32(agent.encode()) % shards


def text(value: Any) -> str:
    """A Redis reply (bytes) as text."""
    return value.decode() if isinstance(value, bytes) else str(value)


# Each lease script handles all of a member's items in one call: one round trip and one
# command to send whatever their number.

# KEYS: (lease key, fence counter) pairs, in order of preference; ARGV[1] member, ARGV[2]
# ttl ms, ARGV[3] how many to take at most. Returns one reply per pair: the new token
# (a lease taken), or false (held by someone, or enough taken). Run twice (its answer
# lost), the second run finds the leases taken and answers false: they lapse after ttl.
ACQUIRE = """
local wanted, out = tonumber(ARGV[3]), {}
for i = 1, #KEYS, 2 do
  if wanted > 0 and redis.call('EXISTS', KEYS[i]) == 0 then
    local token = redis.call('INCR', KEYS[i + 1])
    redis.call('SET', KEYS[i], ARGV[1] .. ':' .. token, 'PX', ARGV[2])
    wanted = wanted - 1
    out[#out + 1] = token
  else
    out[#out + 1] = false
  end
end
return out
"""

# KEYS[1] members zset, then the lease keys held; ARGV[1] member, ARGV[2] ttl ms, then
# the value held of each lease key. Heartbeats (scores are expiry times on the server's
# clock, so members on hosts with skewed clocks agree) and renews. Returns {live
# members, 1 if this member was not in the set (it is new, or Redis lost its data),
# {per lease: 1 renewed, 2 the key was gone (Redis restarted without its data) and is
# ours again, 0 someone else holds it}}.
TICK = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms)
local added = redis.call('ZADD', KEYS[1], ms + tonumber(ARGV[2]), ARGV[1])
local out = {}
for i = 2, #KEYS do
  local current = redis.call('GET', KEYS[i])
  if current == ARGV[i + 1] then
    redis.call('PEXPIRE', KEYS[i], ARGV[2])
    out[i - 1] = 1
  elseif not current then
    redis.call('SET', KEYS[i], ARGV[i + 1], 'PX', ARGV[2])
    out[i - 1] = 2
  else
    out[i - 1] = 0
  end
end
return {redis.call('ZCARD', KEYS[1]), added, out}
"""

# KEYS: lease keys; ARGV: the value held of each. Deletes those still held.
RELEASE = """
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[i] then redis.call('DEL', KEYS[i]) end
end
return 0
"""

# KEYS[1] the sender's batch marker, KEYS[2] the dropped-events hash, then the lease keys
# and streams the entries name. ARGV[1] batch id, ARGV[2] stream max length, ARGV[3]
# marker ttl ms, ARGV[4] JSON [[agent, count], ...] of events dropped, ARGV[5] JSON of
# the entries: [lease key index in KEYS, stream index, lease value held, then the 7
# field values (FIELDS)]. One JSON argument rather than thousands keeps the sender's
# cost per event low. Returns one letter per entry: A appended, F fenced (another member
# holds the lease: the event is stale), M the lease key is gone (Redis lost it: retry
# after renewing). The marker makes a rerun of a batch whose answer was lost (a broken
# connection) return the first answer instead of appending and counting again.
FENCED_APPEND = """
local tag = ARGV[1] .. '|'
local done = redis.call('GET', KEYS[1])
if done and string.sub(done, 1, #tag) == tag then return string.sub(done, #tag + 1) end
for _, drop in ipairs(cjson.decode(ARGV[4])) do
  redis.call('HINCRBY', KEYS[2], drop[1], drop[2])
end
local held, out = {}, {}
for n, e in ipairs(cjson.decode(ARGV[5])) do
  local lease = KEYS[e[1]]
  local current = held[lease]
  if current == nil then
    current = redis.call('GET', lease)
    held[lease] = current
  end
  if current == e[3] then
    redis.call('XADD', KEYS[e[2]], 'MAXLEN', '~', ARGV[2], '*', 'agent', e[4], 'topic', e[5],
      'type', e[6], 'raw', e[7], 'at', e[8], 'token', e[9], 'origin', e[10])
    out[n] = 'A'
  elseif not current then
    out[n] = 'M'
  else
    out[n] = 'F'
  end
end
local result = table.concat(out)
redis.call('SET', KEYS[1], tag .. result, 'PX', ARGV[3])
return result
"""
