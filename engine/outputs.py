"""The files a command writes: never over one of its inputs, written under hidden partial names, and published
together (a render's WAV and its decision log) only when every one is complete. On any failure none is published
and the partial files are removed, so no file is ever reported written that was not."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

import soundfile

from engine.errors import SegueError
from engine.wavfile import partial_name


class Outputs:
    def __init__(self, finals: Sequence[Path], inputs: Iterable[Path]):
        """SegueError if a final name is a folder or one of the inputs (the machine, its pack, a script...)."""
        self.finals = [Path(f) for f in finals]
        inputs = list(inputs)
        for final in self.finals:
            if final.is_dir():
                raise SegueError(f"{final} is a folder; give a file name, e.g. {final / 'render.wav'}")
            if any(_same_file(final, i) for i in inputs):
                raise SegueError(f"{final} is one of the inputs of this render; it would be overwritten, so "
                                 "choose another file name")
            try:
                final.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise SegueError(f"cannot create the folder for {final}: {exc.strerror or exc}") from None
        self.partials = {final: partial_name(final) for final in self.finals}

    def partial(self, final: Path) -> Path:
        return self.partials[Path(final)]

    def check_frames(self, final: Path, frames: int) -> None:
        """The WAV written under `final`'s partial name holds all `frames` (a full disk leaves fewer)."""
        partial = self.partial(final)
        try:
            info = soundfile.info(str(partial))
        except Exception as exc:  # soundfile raises several types for missing or unreadable files
            raise SegueError(f"cannot write {final}: the recording is unreadable ({exc})") from None
        data_bytes = frames * info.channels * 4
        if info.frames != frames or partial.stat().st_size < data_bytes:
            raise SegueError(f"cannot write {final}: {min(info.frames, frames) / info.samplerate:.2f} s of "
                             f"{frames / info.samplerate:.2f} s reached the disk (is it full, or the file too "
                             "large for it?)")

    def publish(self) -> None:
        """Rename every partial into place; if one rename fails, take back the ones already done."""
        done: list[Path] = []
        for final in self.finals:
            try:
                os.replace(self.partials[final], final)
            except OSError as exc:
                for published in done:
                    published.unlink(missing_ok=True)
                self.discard()
                raise SegueError(f"cannot write {final}: {exc.strerror or exc}") from None
            done.append(final)

    def discard(self) -> None:
        for partial in self.partials.values():
            partial.unlink(missing_ok=True)


def _same_file(a: Path, b: Path) -> bool:
    """One file under two names (a symlink, a hard link, `..`), or the same name before it exists."""
    try:
        return os.path.samefile(a, b) if a.exists() and b.exists() else a.resolve() == b.resolve()
    except (OSError, RuntimeError):  # unresolvable: it cannot be opened for writing either
        return False
