"""The model's encode after a pause: why a tight loop is not the floor of a request.

Encodes the same distinct questions with the bare model (sentence-transformers
``encode`` of one text, no cache), each after a pause of a set length: none (a tight
loop), or a sleep of 1 to 50 ms, like a server waiting for its next request, or a busy
wait of the same length (the core kept running). The pause lengths are visited in
rounds, one question each in turn, so that drift in the machine's state falls on all of
them alike.

If an encode after a pause runs slower than in a tight loop, a tight loop is a best case
no request sees; ``bench/latency.py`` therefore measures its floor in turns with the
requests. The busy wait tells whether it is the idle core (this VM halts idle cores at
once, ``haltpoll.guest_halt_poll_ns=0``) or the time itself (whatever runs meanwhile,
here or on the host, evicting the model from the shared caches).

Usage::

    .venv/bin/python bench/pause.py [--questions 150] [--pauses 0 1 3 10 50]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import distinct_questions, header, percentiles, write_result  # noqa: E402
from bench.latency import bare_encoder, elapsed_ms  # noqa: E402


def pause(milliseconds: float, busy: bool) -> None:
    if milliseconds <= 0:
        return
    if busy:
        until = time.perf_counter() + milliseconds / 1000
        while time.perf_counter() < until:
            pass
    else:
        time.sleep(milliseconds / 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=150)
    parser.add_argument("--pauses", type=float, nargs="+", default=[0, 1, 3, 10, 50], help="milliseconds")
    parser.add_argument("--model", default=os.environ.get("MODEL", "e5"))
    parser.add_argument("--torch-threads", type=int, default=1)
    args = parser.parse_args()
    header("the bare model encode after a pause (sleeping or busy)")
    cmdline = Path("/proc/cmdline")
    halt_poll = [part for part in (cmdline.read_text().split() if cmdline.exists() else []) if "halt_poll" in part]
    print(f"kernel idle settings: {' '.join(halt_poll) or 'none set on the command line'}")

    encode = bare_encoder(args.model, args.torch_threads)
    kinds = [(0.0, False)] + [(ms, busy) for ms in args.pauses if ms > 0 for busy in (False, True)]
    samples: dict[tuple[float, bool], list[float]] = {kind: [] for kind in kinds}
    for question in distinct_questions(args.questions):
        for milliseconds, busy in kinds:
            pause(milliseconds, busy)
            samples[(milliseconds, busy)].append(elapsed_ms(lambda: encode(question)))

    rows = []
    print("\n| pause before each encode | n | p50 ms | p95 ms |")
    print("|---|---|---|---|")
    for (milliseconds, busy), values in samples.items():
        label = "none (tight loop)" if milliseconds == 0 else f"{milliseconds:g} ms {'busy wait' if busy else 'sleep'}"
        row = {"pause_ms": milliseconds, "busy": busy, **percentiles(values)}
        rows.append(row)
        print(f"| {label} | {row['n']} | {row['p50']} | {row['p95']} |")
    print(f"saved {write_result('pause', {'rows': rows, 'kernel': halt_poll})}")


if __name__ == "__main__":
    main()
