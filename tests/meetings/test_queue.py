"""The message queue's Redis connections are bounded: a burst of handlers publishing at
once waits for a free connection instead of failing or opening hundreds."""
import os
import threading

import redis

from consult.messaging import PooledRedisManager, client_manager
from tests.conftest import service_missing

REDIS_URL = os.environ.get("CONSULT_TEST_REDIS_URL")


def test_no_queue_means_the_default_manager():
    assert client_manager({"SOCKETIO_MESSAGE_QUEUE": None}) == {"client_manager": None}


def test_a_burst_of_publishers_shares_a_bounded_pool():
    if not REDIS_URL:
        service_missing("Redis (set CONSULT_TEST_REDIS_URL=redis://127.0.0.1:6379/0)")
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError:
        service_missing(f"Redis at {REDIS_URL}")
    manager = client_manager({"SOCKETIO_MESSAGE_QUEUE": REDIS_URL, "REDIS_POOL_SIZE": 4,
                              "REDIS_POOL_TIMEOUT": 10})["client_manager"]
    assert isinstance(manager, PooledRedisManager)
    manager._redis_connect()
    pool = manager.redis.connection_pool
    assert isinstance(pool, redis.BlockingConnectionPool) and pool.max_connections == 4
    listener = redis.Redis.from_url(REDIS_URL).pubsub()
    listener.subscribe("flask-socketio")
    listener.get_message(timeout=1)
    errors, start = [], threading.Barrier(200)

    def publish(n):
        start.wait()
        try:
            manager._publish({"method": "emit", "event": "tally", "n": n})
        except Exception as error:  # noqa: BLE001 — any failure is what the test looks for
            errors.append(error)
    threads = [threading.Thread(target=publish, args=(n,)) for n in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    received = 0
    while listener.get_message(timeout=2) is not None:
        received += 1
    assert errors == [] and received == 200
    assert len(pool._connections) <= 4
    listener.close()
