#!/usr/bin/env python3
"""Prints bench/run's results (one JSON object per line) as one Markdown
table, and writes them as one JSON document beside the lines."""
import json
import os
import platform
import sys
import time


def fmt(v, digits=1):
    if v is None:
        return "n/a"
    if isinstance(v, (int, float)) and abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}"


def main():
    path, cores, cpu = sys.argv[1], sys.argv[2], sys.argv[3]
    rows = [json.loads(line) for line in open(path) if line.strip()]
    print(f"\nBenchmarks — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{cpu}, {cores} cores, {platform.system()} {platform.release()}\n")
    print("| benchmark | figure | baseline | ratio |")
    print("|---|---|---|---|")
    for r in rows:
        part = r["part"]
        if part == "import":
            rust_rps = r["rows"] / r["rust_s"]
            py_rps = r["rows"] / r["python_s"]
            print(f"| contact import, 1,000,000-row CSV (`contacts check`) | {fmt(rust_rps)} rows/s "
                  f"({fmt(r['rust_s'], 2)} s) | Python `phonenumbers` + csv: {fmt(py_rps)} rows/s "
                  f"({fmt(r['python_s'], 2)} s) | {rust_rps / py_rps:.1f}× |")
            if "rust_single_thread_s" in r:
                one = r["rows"] / r["rust_single_thread_s"]
                print(f"| the same import on one thread (`taskset -c 0`) | {fmt(one)} rows/s "
                      f"({fmt(r['rust_single_thread_s'], 2)} s) | the same Python figure | "
                      f"{one / py_rps:.1f}× |")
        elif part == "dispatch":
            d = r["result"]
            print(f"| dispatch, in process ({d['contacts']:,} contacts) | "
                  f"{fmt(d['median_tasks_per_second'])} dial tasks/s | | |")
        elif part == "simulate":
            print(f"| simulator, 500,000 contacts, 1,000 at once | {fmt(r['calls_per_wall_second'])} "
                  f"simulated calls per wall second; {fmt(r['total_s'])} s end to end | | |")
        elif part == "api":
            if "skipped" in r:
                print(f"| API latency | skipped: {r['skipped']} | | |")
                continue
            h = r["hello"]
            for name, label in (("read", "GET /api/campaigns"), ("write", "POST /api/v1/initiate-call/")):
                a = r[name]
                ratio = (a["rps"] / h["rps"]) if a.get("rps") and h.get("rps") else None
                print(f"| API {label} (wrk, 2 threads, 32 connections, 10 s) | p50 {fmt(a['p50_ms'], 2)} ms, "
                      f"p99 {fmt(a['p99_ms'], 2)} ms, {fmt(a['rps'])} req/s"
                      f"{'; ' + str(a['non_2xx']) + ' non-2xx' if a['non_2xx'] else ''} | hello-world server: "
                      f"p50 {fmt(h['p50_ms'], 2)} ms, p99 {fmt(h['p99_ms'], 2)} ms, {fmt(h['rps'])} req/s | "
                      f"{'n/a' if ratio is None else f'{ratio:.2f}× throughput'} |")
        elif part == "startup":
            s = r["result"]
            print(f"| start-up to first answer, `{r['function']}` (x86_64 {os.environ.get('PROFILE', 'release')}) | "
                  f"{fmt(s['median_ms'], 1)} ms, peak {fmt(s['peak_rss_mb'], 1)} MB "
                  f"({'/'.join(s['first_answer']) or 'no answer'}) | | |")
        elif part == "zip":
            print(f"| arm64 zip, `{r['function']}` | {r['bytes'] / 1e6:.2f} MB | | |")
    with open(os.path.join(os.path.dirname(path), "results.json"), "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
