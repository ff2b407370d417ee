#!/usr/bin/env python3
"""Draws bench/render-time.png from bench/results.json (run by bench/bench.py with the
bench's virtual environment, which has matplotlib): cold render time against the number
of secrets for secretsmith, Google's Python client (threaded and sequential) and
`gcloud secrets versions access` once per secret, all on the same emulator and latency."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main() -> None:
    results = json.loads(Path(sys.argv[1]).read_text())
    output = Path(sys.argv[2])
    cold = results["cold"]
    latency = results.get("latency_ms", 20)
    concurrency = results.get("concurrency", 16)
    series = [
        ("secretsmith render", "secretsmith", "o-"),
        (f"Python client, {concurrency} threads", "python-threaded", "s-"),
        ("Python client, sequential", "python-sequential", "^-"),
    ]
    figure, axes = plt.subplots(figsize=(8, 5), dpi=120)
    for label, key, style in series:
        points = sorted((int(n), figures[key]["median"]) for n, figures in cold.items() if key in figures)
        if points:
            axes.plot([n for n, _ in points], [t for _, t in points], style, label=label)
    gcloud = results.get("gcloud", {})
    points = sorted((int(n), figure["median"]) for n, figure in gcloud.items())
    if points:
        axes.plot([n for n, _ in points], [t for _, t in points], "d-",
                  label="gcloud secrets versions access, once per secret")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("secrets (distinct, cold)")
    axes.set_ylabel("wall time, seconds (median)")
    axes.set_title(f"Render time, emulator latency {latency} ms per request")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(output)


if __name__ == "__main__":
    main()
