"""Ray 2.58 beside `npm run bench -- placement --peers`: placement group create + ready + remove.

Argument: one JSON object {groups, concurrency}. Runs `groups` cycles with `concurrency` in flight
(a group is removed as soon as it is ready and the next one created, as the Troupe side's lanes
do), for one bundle {CPU: 1} (PACK) and four (SPREAD) on a node of 256 CPUs, and prints one JSON
line of groups/s. Run by bench/lib/peers.ts.
"""
import json
import sys
import time

import ray
from ray.util.placement_group import placement_group, remove_placement_group

P = json.loads(sys.argv[1])


def cycles(bundles, strategy):
    """Groups/s with `concurrency` lanes, each creating a group, waiting for it, removing it."""
    total, conc = P["groups"], P["concurrency"]
    started, inflight = 0, {}

    def create():
        nonlocal started
        started += 1
        pg = placement_group(bundles, strategy=strategy)
        inflight[pg.ready()] = pg

    t0 = time.perf_counter()
    for _ in range(min(conc, total)):
        create()
    while inflight:
        done, _ = ray.wait(list(inflight), num_returns=1)
        for ref in done:
            ray.get(ref)
            remove_placement_group(inflight.pop(ref))
            if started < total:
                create()
    return total / (time.perf_counter() - t0)


def main():
    # As the Troupe side: a node of 256 CPUs, bundles of {CPU: 1}.
    ray.init(num_cpus=256, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    out = {"ray": ray.__version__}
    cycles([{"CPU": 1}], "PACK")  # warm-up
    out["one"] = cycles([{"CPU": 1}], "PACK")
    out["four"] = cycles([{"CPU": 1}] * 4, "SPREAD")
    print(json.dumps(out), flush=True)
    ray.shutdown()


main()
