from tests.support.redis_server import redis_clean, redis_url  # noqa: F401
