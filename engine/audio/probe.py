"""`python -m engine.audio.probe`: exit 0 when portaudio has a default output device, 3 when it has none.

Run as a child process by `has_sound_card`, so that portaudio aborting on a machine without an ALSA
configuration ends this process, not the engine.
"""
import sys

from engine.audio.backend import pyo

if __name__ == "__main__":
    sys.exit(0 if pyo().pa_get_default_output() >= 0 else 3)
