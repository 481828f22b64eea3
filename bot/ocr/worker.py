"""The recogniser in a process of its own: started on first use, ended after it has been idle.

RapidOCR with onnxruntime holds ~0.5–0.9 GB while it runs; in its own process that memory
is returned when the worker ends, and `beian serve`'s main process stays within its target.
A photo that takes longer than the time-out ends the worker (the next photo starts another).
The models ship inside the rapidocr wheel: nothing is downloaded, at install or at run time.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Literal

from bot.ocr.images import Photo, PhotoError, check_photo
from rules.photo_fields import Kind, Reading, TextLine, detect_kind, read_fields
from rules.text import t

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10.0
IDLE_SECONDS = 300.0

TIMED_OUT = t(
    "照片识别超时（超过10秒），请换一张更清晰的照片。",
    "Reading the photo took too long (over 10 s); send a clearer photo.",
)
NOT_RECOGNISED = t(
    "没能从照片中认出营业执照或身份证的文字，请在光线充足处正对证件重拍。",
    "No business licence or ID card could be read in this photo; take it again facing the "
    "document in good light.",
)
UNAVAILABLE = t(
    "照片识别暂时不可用。",
    "Reading photos is not available right now.",
)


def available() -> bool:
    """Say whether this install can read photos (rapidocr and onnxruntime are importable)."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("rapidocr", "onnxruntime"))


@dataclass(frozen=True)
class PhotoReading:
    """A photo's fields, and the hash that is all that is kept of the photo."""

    reading: Reading
    sha256: str


@dataclass(frozen=True)
class Tuning:
    """How the recogniser runs. The defaults are what bench/RESULTS.md measured fastest with
    no field read less often; `BASELINE` is how it ran before (the benchmark compares them).

    - `det_side`: the longest side detection sees (larger photos are scaled down for it; the
      text boxes are still cut from the photo for recognition). None: rapidocr's default,
      which scales only up (shortest side ≥ 736), so a 1,600 px licence was detected at full
      size — three quarters of its time — and a photo sent as a file at 2,000 px. At 960 a
      few more fields of degraded photos went unread than before; at 1,280 none did.
    - `threads`: onnxruntime's threads. One leaves the other core to the bot, and on a busy
      machine two threads waiting on each other were slower than one.
    - `cls`: "when_needed" reads without the upside-down classifier and reads again with it
      only when the text is no document's (a photo taken upside down); "always" runs it on
      every text box.
    """

    det_side: int | None = 1280
    threads: int = 1
    cls: Literal["always", "when_needed"] = "when_needed"


BASELINE = Tuning(det_side=None, threads=2, cls="always")


def _engine(tuning: Tuning) -> Any:
    from rapidocr import RapidOCR

    params: dict[str, Any] = {
        # "The text detection result is empty" (a photo without text) is a warning to it, and
        # a normal answer to us (the person is asked for another photo): its own log lines
        # went to stderr, colour codes and all, before `beian ocr`'s one line.
        "Global.log_level": "error",
        "EngineConfig.onnxruntime.intra_op_num_threads": tuning.threads,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    }
    if tuning.det_side is not None:
        params |= {"Det.limit_type": "max", "Det.limit_side_len": tuning.det_side}
    return RapidOCR(params=params)


def _recognise(engine: Any, data: bytes, tuning: Tuning) -> list[tuple[Any, ...]]:
    """Return the photo's text lines; without the classifier first when it is not needed."""
    import zhconv

    if tuning.cls == "always":
        return _lines(engine(data), zhconv.convert)
    first = engine(data, use_cls=False)
    lines = _lines(first, zhconv.convert)
    if detect_kind([TextLine(*row) for row in lines]) is None:
        again = engine(data, use_cls=True)
        # The classifier only turns text boxes half round: when it changed most of what was
        # read, the photo was taken upside down, and the page's rows are turned back as well.
        before = set(first.txts or ())
        after = list(again.txts or ())
        turned = sum(text not in before for text in after) > len(after) / 2
        lines = _lines(again, zhconv.convert, upside_down=turned)
    return lines


def _serve(conn: Connection, tuning: Tuning) -> None:
    """The worker's loop: bytes in, the text lines (simplified Chinese) out."""
    import logging as worker_logging

    worker_logging.getLogger("RapidOCR").setLevel(worker_logging.ERROR)
    engine = _engine(tuning)
    _warm_up(engine)
    try:
        conn.send(("ready", None))
    except OSError:
        return
    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):
            return  # the bot ended this worker
        try:
            reply: tuple[str, Any] = ("ok", _recognise(engine, data, tuning))
        except Exception as exc:
            reply = ("error", type(exc).__name__)
        try:
            conn.send(reply)
        except OSError:  # BrokenPipeError: the bot gave up on this photo and ended the worker
            return


def _lines(
    result: Any, simplified: Callable[[str, str], str], *, upside_down: bool = False
) -> list[tuple[Any, ...]]:
    """Return each piece of text found: simplified Chinese, score, box centre, height and left
    edge — in the page's own axes: a tilted photo's boxes are turned back by their median
    slope (and half a turn more when it was taken upside down), so the pieces of one printed
    line share a height again, and rows read top to bottom."""
    boxes = [
        [(float(p[0]), float(p[1])) for p in box]
        for box in (result.boxes if result.boxes is not None else [])
    ]
    slopes = sorted(math.atan2(b[1][1] - b[0][1], b[1][0] - b[0][0]) for b in boxes if b)
    angle = (slopes[len(slopes) // 2] if slopes else 0.0) + (math.pi if upside_down else 0.0)
    cos, sin = math.cos(-angle), math.sin(-angle)
    lines: list[tuple[Any, ...]] = []
    for box, text, score in zip(boxes, result.txts or (), result.scores or (), strict=False):
        turned = [(x * cos - y * sin, x * sin + y * cos) for x, y in box]
        xs = [x for x, _ in turned]
        ys = [y for _, y in turned]
        lines.append(
            (
                simplified(str(text), "zh-cn"),
                float(score),
                sum(xs) / len(xs),
                sum(ys) / len(ys),
                max(ys) - min(ys),
                min(xs),
            )
        )
    return lines


def _warm_up(engine: Any) -> None:
    """Run one small image through detection and recognition: onnxruntime's first run of a
    model costs seconds, which belong to the start-up, not to the applicant's photo."""
    import cv2
    import numpy as np

    image = np.full((120, 480, 3), 255, dtype=np.uint8)
    cv2.putText(image, "BEIAN 2026", (20, 80), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (0, 0, 0), 3)
    engine(image)


class OcrWorker:
    """One recogniser process, shared by every caller of this process (calls take turns)."""

    def __init__(
        self,
        *,
        timeout: float = TIMEOUT_SECONDS,
        idle: float = IDLE_SECONDS,
        tuning: Tuning | None = None,
        serve: Callable[[Connection, Tuning], None] | None = None,
    ) -> None:
        self.timeout = timeout
        self._serve = serve or _serve  # tests: a worker that answers slowly or never
        self.idle = idle
        self.tuning = tuning or Tuning()
        self._lock = threading.Lock()
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._last_used = 0.0
        self._reaper: threading.Timer | None = None
        self.starts = 0  # how many times a worker was started (tests, the benchmark)

    # --- the process ------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.is_alive()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self.running and self._process is not None else None

    def _start(self) -> Connection:
        context = multiprocessing.get_context("spawn")  # never fork a process with threads
        parent, child = context.Pipe()
        process = context.Process(
            target=self._serve, args=(child, self.tuning), name="beian-ocr", daemon=True
        )
        process.start()
        child.close()
        self._process, self._conn = process, parent
        self.starts += 1
        # Loading the models is not the photo's time: it has a time-out of its own.
        try:
            ready = parent.poll(max(60.0, self.timeout)) and parent.recv()[0] == "ready"
        except (EOFError, OSError):
            ready = False
        if not ready:
            self._stop()
            raise PhotoError(UNAVAILABLE)
        log.info("ocr worker started (pid %s)", process.pid)
        return parent

    def warm(self) -> None:
        """Start the worker now if it is not running (the benchmark; a warm start)."""
        with self._lock:
            if not self.running:
                self._stop()
                self._start()
            self._last_used = time.monotonic()
            self._arm_reaper()

    def _stop(self) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if conn is not None:
            conn.close()
        if process is not None:
            process.join(timeout=2)
            if process.is_alive():
                process.kill()
                process.join(timeout=2)
            log.info("ocr worker ended (pid %s)", process.pid)

    def close(self) -> None:
        """End the worker now (shutdown)."""
        with self._lock:
            if self._reaper is not None:
                self._reaper.cancel()
            self._stop()

    def _reap(self) -> None:
        with self._lock:
            if self._process is not None and time.monotonic() - self._last_used >= self.idle:
                self._stop()

    def _arm_reaper(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
        self._reaper = threading.Timer(self.idle, self._reap)
        self._reaper.daemon = True
        self._reaper.start()

    # --- reading ----------------------------------------------------------------------

    def lines(self, photo: Photo) -> list[TextLine]:
        """Return the text lines of a checked photo; PhotoError on a time-out."""
        with self._lock:
            conn = self._conn if self.running else None
            if conn is None:
                self._stop()
                conn = self._start()
            try:
                conn.send_bytes(photo.data)
                if not conn.poll(self.timeout):
                    log.warning("ocr worker timed out after %.0f s: ended", self.timeout)
                    self._stop()
                    raise PhotoError(TIMED_OUT)
                status, payload = conn.recv()
            except (EOFError, OSError, BrokenPipeError) as exc:
                self._stop()
                raise PhotoError(UNAVAILABLE) from exc
            finally:
                self._last_used = time.monotonic()
                self._arm_reaper()
        if status != "ok":
            log.info("ocr worker could not read a photo: %s", payload)
            raise PhotoError(NOT_RECOGNISED)
        return [TextLine(*row) for row in payload]

    def read(self, data: bytes, kind: Kind | None = None) -> PhotoReading:
        """Read a photo's bytes: its fields (PhotoError when it cannot be read)."""
        photo = check_photo(data)
        reading = read_fields(self.lines(photo), kind)
        if reading is None:
            raise PhotoError(NOT_RECOGNISED)
        return PhotoReading(reading, photo.sha256)

    def rss_bytes(self, field: str = "VmRSS") -> int | None:
        """Return the worker's resident memory (Linux; `VmHWM`: its peak), for the benchmark."""
        pid = self.pid
        if pid is None:
            return None
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith(f"{field}:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            return None
        return None
