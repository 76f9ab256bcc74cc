"""Seeds 001/002: caches that never evict."""
import functools
import hashlib

_digest_cache = {}


def digest(text):
    if text not in _digest_cache:
        _digest_cache[text] = hashlib.sha256(text.encode()).hexdigest()
    return _digest_cache[text]


@functools.lru_cache(maxsize=None)
def normalise(name):
    return name.strip().lower()


class StatusReader:
    """Discord-bot status reader (seed 001): one cache entry per agent id ever seen."""

    def __init__(self, loader):
        self.loader = loader
        self.cache = {}

    def read_agent_status(self, agent_id):
        if agent_id in self.cache:
            return self.cache[agent_id]
        status = self.loader(agent_id)
        self.cache[agent_id] = status
        return status
