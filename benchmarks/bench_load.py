"""Tokenizer load time: first load (conversion) and second load (cache), each in a fresh process.

Usage: python benchmarks/bench_load.py [names...]   Writes benchmarks/results/load.md.
Baseline for the ratio: the first (converting) load of the same tokenizer, measured in the same run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

CODE = "import time; t=time.perf_counter(); from tokforensics.tokenizer.view import load_tokenizer; " \
       "t1=time.perf_counter(); load_tokenizer({name!r}); print(time.perf_counter()-t1, t1-t)"


def main() -> None:
    names = sys.argv[1:] or ["gpt4o", "gpt4", "llama3", "mistral-nemo", "deepseek-v3", "mistral"]
    rows = []
    with tempfile.TemporaryDirectory() as d:
        env = {**os.environ, "TOKFORENSICS_CACHE": d}
        for name in names:
            times = []
            for _ in range(2):
                out = subprocess.run([sys.executable, "-c", CODE.format(name=name)], env=env, check=True,
                                     capture_output=True, text=True).stdout.split()
                times.append((float(out[0]), float(out[1])))
            rows.append(f"| {name} | {times[0][0]:.2f} | {times[1][0]:.3f} | {times[1][0] / times[0][0]:.3f} | {times[1][1]:.2f} |")
            print(rows[-1], flush=True)
    text = "\n".join([
        "# Tokenizer load time", "",
        "Each load in a fresh Python process, empty cache first, then the same cache (`load_tokenizer(name)`; "
        "the package import is listed separately).", "",
        "| tokenizer | first load s (converts) | second load s (cache) | second / first | import s |",
        "|---|---|---|---|---|", *rows, ""])
    (Path(__file__).parent / "results" / "load.md").write_text(text)


if __name__ == "__main__":
    main()
