"""The heartbeat: once per audio block, intake -> runtime step -> sink, and its parts (engine/heartbeat/*)."""
from engine.heartbeat.loop import Heartbeat, Reload, Residency
from engine.heartbeat.outbox import Outbox, Said

__all__ = ["Heartbeat", "Reload", "Residency", "Outbox", "Said"]
