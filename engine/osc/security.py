"""Who may talk to the engine, and how fast: an IP/CIDR allowlist and a per-sender token bucket."""
from __future__ import annotations

import ipaddress
import time

from engine.errors import SegueError

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
MAX_SENDERS = 1024  # distinct senders tracked by the rate limiter; the oldest are forgotten beyond that


def parse_allowlist(text: str | None) -> tuple:
    """'192.168.1.0/24,10.0.0.5' -> networks; loopback is always allowed."""
    networks = list(LOOPBACK)
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise SegueError(f"--allow: '{item}' is not an IP address or CIDR range like 192.168.1.0/24") from None
    return tuple(networks)


class Gate:
    """Admits a datagram if its sender is allowed and under its rate; counts what it refuses."""

    def __init__(self, allow: tuple = LOOPBACK, rate: float = 50_000.0):
        self.allow = allow
        self.rate = rate
        self.burst = 2 * rate
        self._buckets: dict[str, list[float]] = {}  # ip -> [tokens, last refill time]
        self._verdicts: dict[str, bool] = {}
        self.refused = 0
        self.limited = 0

    def allowed(self, ip: str) -> bool:
        verdict = self._verdicts.get(ip)
        if verdict is None:
            try:
                address = ipaddress.ip_address(ip.split("%")[0])
                verdict = any(address in net for net in self.allow)
            except ValueError:
                verdict = False
            if len(self._verdicts) < MAX_SENDERS:
                self._verdicts[ip] = verdict
        if not verdict:
            self.refused += 1
        return verdict

    def within_rate(self, ip: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(ip)
        if bucket is None:
            if len(self._buckets) >= MAX_SENDERS:
                self._buckets.pop(next(iter(self._buckets)))
            bucket = self._buckets[ip] = [self.burst, now]
        bucket[0] = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
        bucket[1] = now
        if bucket[0] < 1.0:
            self.limited += 1
            return False
        bucket[0] -= 1.0
        return True
