"""The message queue that lets several server processes share live rooms: python-socketio's
Redis manager, on a bounded pool that makes a burst of handlers wait for a free connection
(redis-py's default pool opens one per concurrent handler, without limit, and fails under
a burst of a thousand)."""
from __future__ import annotations

import redis
import socketio


class PooledRedisManager(socketio.RedisManager):
    def __init__(self, url: str, *, max_connections: int, timeout: int, **kwargs):
        self.max_connections, self.pool_timeout = max_connections, timeout
        super().__init__(url, **kwargs)

    def _redis_connect(self):
        # As the base class connects, but on a BlockingConnectionPool (Redis.from_url
        # always makes an unbounded ConnectionPool).
        pool = redis.BlockingConnectionPool.from_url(self.redis_url, max_connections=self.max_connections,
                                                     timeout=self.pool_timeout)
        self.redis = redis.Redis(connection_pool=pool)
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self.connected = True


def client_manager(config) -> dict:
    """The Socket.IO server's client manager for ``config``, as keyword arguments."""
    url = config["SOCKETIO_MESSAGE_QUEUE"]
    if not url:
        return {"client_manager": None}   # one process; none left over from another app
    if not url.startswith(("redis://", "rediss://")):
        return {}                         # Flask-SocketIO picks the manager for the URL
    return {"client_manager": PooledRedisManager(url, channel="flask-socketio", max_connections=config["REDIS_POOL_SIZE"],
                                                 timeout=config["REDIS_POOL_TIMEOUT"])}
