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


def connect(url: str, *, timeout: float = COMMAND_TIMEOUT) -> Redis:
    """A Redis client for ``url`` (``redis://[:password@]host:port/db``); it connects
    lazily, with ``timeout`` seconds for connecting and for each command."""
    try:
        return aioredis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            health_check_interval=10,
            decode_responses=False,
        )
    except ValueError as exc:
        raise FleetError(f"invalid Redis URL {redis_address(url)!r}: {exc}") from None


def shard_of(agent: str, shards: int) -> int:
    """The event stream shard of ``agent``: stable across processes and hosts."""
    return zlib.crc32(agent.encode()) % shards


def text(value: Any) -> str:
    """A Redis reply (bytes) as text."""
    return value.decode() if isinstance(value, bytes) else str(value)


# KEYS[1] lease key, KEYS[2] fence counter; ARGV[1] member, ARGV[2] ttl ms.
# Returns the new token, or false when someone holds the lease.
ACQUIRE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. token, 'PX', ARGV[2])
return token
"""

# KEYS[1] lease key; ARGV[1] value held, ARGV[2] ttl ms. 1: renewed; 2: the key was gone
# (Redis restarted without its data) and is ours again; 0: someone else holds it.
RENEW = """
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not current then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end
return 0
"""

# KEYS[1] lease key; ARGV[1] value held. 1 when deleted.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS[1] members zset; ARGV[1] member, ARGV[2] ttl ms. Scores are expiry times on the
# server's clock, so members on hosts with skewed clocks agree. Returns live members.
HEARTBEAT = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms)
redis.call('ZADD', KEYS[1], ms + tonumber(ARGV[2]), ARGV[1])
return redis.call('ZCARD', KEYS[1])
"""

# KEYS[1] lease key, KEYS[2] stream; ARGV[1] value held, ARGV[2] max length, then field,
# value pairs. The entry id when appended; 0 when another member holds the lease (the
# event is stale); -1 when the lease key is gone (Redis lost it: retry after renewing).
FENCED_XADD = """
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, 3))
end
if not current then return -1 end
return 0
"""
