#!/usr/bin/env python3
"""Reads the wrk outputs of bench/run (wrk-<name>-<i>.txt) and prints one
JSON line: per load (read, write, hello) the medians of p50, p99 (ms) and
requests per second over the runs, and the non-2xx count."""
import json
import re
import statistics
import sys


def ms(value: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", value)
    if not m:
        return float("nan")
    n, unit = float(m.group(1)), m.group(2)
    return n / 1000 if unit == "us" else n * 1000 if unit == "s" else n


def parse(path):
    text = open(path).read()
    out = {}
    for pct, key in (("50%", "p50_ms"), ("99%", "p99_ms")):
        m = re.search(rf"^\s+{re.escape(pct)}\s+(\S+)", text, re.M)
        if m:
            out[key] = ms(m.group(1))
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if m:
        out["rps"] = float(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    out["non_2xx"] = int(m.group(1)) if m else 0
    return out


def main():
    out_dir, runs = sys.argv[1], int(sys.argv[2])
    result = {"part": "api"}
    for name in ("read", "write", "hello"):
        parsed = [parse(f"{out_dir}/wrk-{name}-{i}.txt") for i in range(1, runs + 1)]
        agg = {}
        for key in ("p50_ms", "p99_ms", "rps"):
            vals = [p[key] for p in parsed if key in p]
            agg[key] = statistics.median(vals) if vals else None
        agg["non_2xx"] = sum(p["non_2xx"] for p in parsed)
        result[name] = agg
    print(json.dumps(result))


if __name__ == "__main__":
    main()
