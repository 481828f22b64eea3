"""Field accuracy of the photo reader on generated licences and ID cards (shared by the test
and the benchmark): per condition (clean or degraded) and field, how many were read right,
how many not found, and how many wrong."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.ocr.images import PhotoError
from bot.ocr.worker import OcrWorker
from tests.fakes.photos import Sample


@dataclass
class Tally:
    right: int = 0
    missing: int = 0
    wrong: int = 0
    wrong_examples: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.right + self.missing + self.wrong

    @property
    def rate(self) -> float:
        return self.right / self.total if self.total else 0.0


def condition(sample: Sample) -> str:
    return "clean" if sample.name.endswith("-clean") else "degraded"


def measure(
    worker: OcrWorker,
    samples: list[Sample],
    *,
    times: list[float] | None = None,
    into: dict[tuple[str, str, str], Tally] | None = None,
) -> dict[tuple[str, str, str], Tally]:
    """Read every sample (as a JPEG at quality 90, as a phone sends it); tally its fields by
    (kind, condition, field). `times` gets each read's seconds; `into`: tallies to add to."""
    import time

    tallies: dict[tuple[str, str, str], Tally] = into if into is not None else {}
    for sample in samples:
        started = time.perf_counter()
        try:
            fields = worker.read(sample.jpeg(90), None).reading.fields
        except PhotoError:
            fields = {}
        if times is not None:
            times.append(time.perf_counter() - started)
        for name, truth in sample.fields.items():
            tally = tallies.setdefault((sample.kind, condition(sample), name), Tally())
            got = fields.get(name)
            if got == truth:
                tally.right += 1
            elif got is None:
                tally.missing += 1
            else:
                tally.wrong += 1
                tally.wrong_examples.append((sample.name, truth, str(got)))
    return tallies
