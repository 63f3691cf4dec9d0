#!/usr/bin/env python3
"""Start-up time and peak memory of a Lambda function binary, measured
against a minimal fake Lambda Runtime API on loopback.

For each run: start the binary with AWS_LAMBDA_RUNTIME_API pointing here,
hand it one event on its first `GET /runtime/invocation/next`, and stop the
clock when it posts the first response (`/response` or `/error` — the event
is chosen so that no AWS call is needed, see bench/run). Peak memory is the
process's VmHWM read at that moment. Prints one JSON line: the median time,
the runs, and the largest peak memory."""
import http.server
import json
import os
import socketserver
import statistics
import subprocess
import sys
import threading
import time

EVENT = os.environ.get("BENCH_EVENT", "{}").encode()


class State:
    def __init__(self):
        self.responded = threading.Event()
        self.kind = None


def serve(state):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.path.endswith("/runtime/invocation/next"):
                if state.responded.is_set():
                    # Park the runtime on its second poll: the run is over.
                    time.sleep(30)
                    return
                self.send_response(200)
                self.send_header("Lambda-Runtime-Aws-Request-Id", "bench-1")
                self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
                self.send_header("Lambda-Runtime-Invoked-Function-Arn",
                                 "arn:aws:lambda:us-east-1:000000000000:function:bench")
                self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(EVENT)))
                self.end_headers()
                self.wfile.write(EVENT)
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(n)
            state.kind = "error" if self.path.endswith("/error") else "response"
            state.responded.set()
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True

    srv = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def peak_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def one(binary):
    state = State()
    srv = serve(state)
    env = dict(os.environ)
    env["AWS_LAMBDA_RUNTIME_API"] = f"127.0.0.1:{srv.server_address[1]}"
    env.setdefault("AWS_LAMBDA_FUNCTION_NAME", os.path.basename(binary))
    env.setdefault("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
    env.setdefault("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
    started = time.perf_counter()
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ok = state.responded.wait(20)
    elapsed = time.perf_counter() - started
    kb = peak_kb(proc.pid)
    proc.kill()
    proc.wait()
    srv.shutdown()
    return (elapsed if ok else None), kb, state.kind


def main():
    binary, runs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5
    times, peaks, kinds = [], [], set()
    for _ in range(runs):
        t, kb, kind = one(binary)
        if t is not None:
            times.append(t * 1000)
        peaks.append(kb)
        kinds.add(kind)
    print(json.dumps({
        "binary": os.path.basename(binary),
        "median_ms": statistics.median(times) if times else None,
        "runs_ms": times,
        "peak_rss_mb": max(peaks) / 1024 if peaks else None,
        "first_answer": sorted(k for k in kinds if k),
    }))


if __name__ == "__main__":
    main()
