"""Ray 2.58 beside `npm run bench -- calls --peers`: the same workloads as the Troupe rows.

Argument: one JSON object {duration_ms, warmup_ms, window, nn, create_samples, create_pause_ms}. Prints one JSON line of figures (calls/s, ms, ops/s). Run by bench/lib/peers.ts.
"""
import json
import sys
import time

import ray

P = json.loads(sys.argv[1])
ARG = {"seq": 1, "pad": "x" * 16}  # the Troupe rows' argument


@ray.remote
class Echo:
    def echo(self, x):
        return x

    def ready(self):
        return True


@ray.remote
class Caller:
    """One caller process of the n:n figure, like bench/nn-caller.ts."""

    def __init__(self, echo):
        self.echo = echo
        ray.get(self.echo.ready.remote())

    def run(self, go_at, window, warmup_ms, duration_ms):
        while time.time() < go_at:  # ready/go: every caller starts at the same moment
            time.sleep(0.001)
        return windowed(self.echo, window, warmup_ms, duration_ms)


def windowed(actor, window, warmup_ms, duration_ms):
    """Calls/s with `window` calls kept in flight (refilled as ray.wait returns them)."""
    pending = [actor.echo.remote(ARG) for _ in range(window)]
    start = time.perf_counter()
    measure_from = start + warmup_ms / 1000
    end = measure_from + duration_ms / 1000
    done = 0
    counting = False
    while True:
        now = time.perf_counter()
        if not counting and now >= measure_from:
            counting, done, t0 = True, 0, now
        if now >= end:
            break
        ready, pending = ray.wait(pending, num_returns=max(1, len(pending) // 8))
        ray.get(ready)
        done += len(ready)
        pending += [actor.echo.remote(ARG) for _ in ready]
    ray.get(pending)
    return done / (time.perf_counter() - t0) if counting else 0.0


def sync_rate(actor, warmup_ms, duration_ms):
    end = time.perf_counter() + warmup_ms / 1000
    while time.perf_counter() < end:
        ray.get(actor.echo.remote(ARG))
    n, t0 = 0, time.perf_counter()
    end = t0 + duration_ms / 1000
    while time.perf_counter() < end:
        ray.get(actor.echo.remote(ARG))
        n += 1
    return n / (time.perf_counter() - t0)


def percentile(samples, p):
    s = sorted(samples)
    return s[min(len(s) - 1, max(0, int(round(p / 100 * len(s) + 0.5)) - 1))]


def main():
    ray.init(num_cpus=2 * P["nn"] + 2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    out = {"ray": ray.__version__}
    a = Echo.remote()
    ray.get(a.ready.remote())
    out["sync"] = sync_rate(a, P["warmup_ms"], P["duration_ms"])
    out["async"] = windowed(a, P["window"], P["warmup_ms"], P["duration_ms"])
    ray.kill(a)

    echoes = [Echo.remote() for _ in range(P["nn"])]
    callers = [Caller.remote(e) for e in echoes]
    go_at = time.time() + 2.0
    rates = ray.get([c.run.remote(go_at, P["window"], P["warmup_ms"], P["duration_ms"]) for c in callers])
    out["nn"] = sum(rates)
    for x in callers + echoes:
        ray.kill(x)

    samples = []
    for _ in range(P["create_samples"]):
        time.sleep(P["create_pause_ms"] / 1000)  # as the Troupe side, which lets its warm pool refill
        t0 = time.perf_counter()
        e = Echo.remote()
        ray.get(e.echo.remote(0))
        samples.append((time.perf_counter() - t0) * 1000)
        ray.kill(e)
    out["create_p50"] = percentile(samples, 50)
    out["create_p99"] = percentile(samples, 99)

    print(json.dumps(out), flush=True)
    ray.shutdown()


main()
