"""Segue: an adaptive soundtrack engine driven by OSC telemetry and a YAML state machine."""

__version__ = "0.1.0"
