"""Request rates, counted atomically: at most N requests per key in any
window of the rate's length (a sliding window).

One call, `hit(key, rate)`, checks and counts a request together, so that
requests arriving at once cannot all read the same count and all pass: with
REDIS_URL, one Lua script does it inside Redis in one round trip, and every
web process shares the counts; without it (the embedded mode), this process
counts alone under a lock, in its local cache, so N processes allow N times
the rate.

Why a sliding window: a fixed window (INCR with an expiry per minute) lets
2N through across a boundary, N in its last second and N in the next one's
first; a two-bucket weighted count only estimates, and lets nearly 2N through
when the previous window's requests came at its end. A sliding window is exact:
each allowed request's time is kept (a sorted set in Redis) until it is
older than the window, a request is allowed while fewer than N are kept, and
the wait told to a refused client is exact too: until the oldest kept one
leaves the window. Refusals are not kept, so a key holds at most N entries
and a client that keeps knocking is let in as soon as a slot frees. The cost
is memory, about 100 bytes in Redis per request counted in the last window
(60 KB for a token using all of 600 a minute); a request costs one round
trip, as an INCR and EXPIRE in one MULTI did.

Redis unreachable: the request is allowed and a warning logged. The limits
protect against a client that asks too much; refusing everyone because the
counter is down would turn a Redis outage into an outage of the survey pages
and the whole API, which PostgreSQL alone can still serve.
"""

import logging
import math
import secrets
import threading
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.cache import cache
from redis.commands.core import Script

logger = logging.getLogger(__name__)

SECONDS = {"s": 1, "m": 60, "h": 60 * 60, "d": 24 * 60 * 60}

# KEYS[1]: the key; ARGV: now and the window (ms), the limit, a new member.
# Returns 0 when the request is allowed (and counted), else the milliseconds
# until the oldest counted request leaves the window (at most the window).
SLIDING_WINDOW = """
local key, now, window = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < tonumber(ARGV[3]) then
    redis.call('ZADD', key, now, ARGV[4])
    redis.call('PEXPIRE', key, window)
    return 0
end
local oldest = tonumber(redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2])
return math.min(math.max(oldest + window - now, 1), window)
"""


@dataclass(frozen=True)
class Rate:
    """`limit` requests per `seconds`."""

    limit: int
    seconds: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    # Whole seconds until the window frees a slot (rounded up); 0 if allowed.
    retry_after: int = 0


def parse_rate(text: str) -> Rate:
    """A rate as settings write it: "600/min", N per s, min, hour or day."""
    number, period = text.split("/")
    return Rate(limit=int(number), seconds=SECONDS[period[0]])


def hit(key: str, rate: Rate) -> Verdict:
    """Count one request under `key` if `rate` allows it, in one step."""
    if rate.limit < 1:
        return Verdict(allowed=False, retry_after=rate.seconds)
    # The web process's clock, not Redis's: the tests travel it, and the
    # deployment's machines agree to well under a second (NTP), which shifts a
    # slot's release by no more than that. A busy process may count a request
    # a moment after reading it, when others have counted theirs at a later
    # time: a wait is never told as longer than the window.
    now = int(time.time() * 1000)
    window = rate.seconds * 1000
    try:
        if settings.REDIS_URL:
            wait = int(
                sliding_window()(
                    keys=[f"rate:{key}"],
                    args=[now, window, rate.limit, secrets.token_hex(8)],
                )
            )
        else:
            wait = hit_locally(f"rate:{key}", now, window, rate.limit)
    except redis.RedisError as error:
        logger.warning("Request rate not counted, request let through: %s", error)
        return Verdict(allowed=True)
    if wait == 0:
        return Verdict(allowed=True)
    return Verdict(allowed=False, retry_after=math.ceil(wait / 1000))


local_lock = threading.Lock()


def hit_locally(key: str, now: int, window: int, limit: int) -> int:
    """The script's sliding window in the local cache, which is this process's
    memory (LocMemCache without REDIS_URL): a lock of this process makes the
    read and the write one step."""
    with local_lock:
        kept: list[int] = [t for t in cache.get(key, []) if t > now - window]
        if len(kept) < limit:
            cache.set(key, [*kept, now], timeout=window // 1000)
            return 0
        return min(max(min(kept) + window - now, 1), window)


POOL_SIZE = 50
clients_lock = threading.Lock()
scripts: dict[str, Script] = {}


def sliding_window() -> Script:
    """The script on this process's client of REDIS_URL, made once under a
    lock: of two clients made at once, the one dropped would close, when
    collected, the connections of the pool the other is using."""
    url = settings.REDIS_URL
    with clients_lock:
        script = scripts.get(url)
        if script is None:
            # Blocking: a burst of more requests than the pool has connections
            # waits a moment for one, instead of failing and passing uncounted.
            pool = redis.BlockingConnectionPool.from_url(
                url,
                max_connections=POOL_SIZE,
                timeout=1,
                socket_timeout=1,
                socket_connect_timeout=1,
            )
            client = redis.Redis(connection_pool=pool)
            script = scripts[url] = client.register_script(SLIDING_WINDOW)
    return script
