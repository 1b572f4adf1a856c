"""Ray 2.58 beside `npm run bench -- placement --peers`: placement group create + ready + remove.

Argument: one JSON object {groups, concurrency}. Runs `groups` cycles in waves of `concurrency`
groups created together, waited ready together and removed, for one bundle and for four bundles
(SPREAD), and prints one JSON line of cycles/s. Bundles ask for a custom resource of which the node
has plenty, so that Ray starts no worker process per CPU (Troupe's side asks for CPUs of a 256-CPU
node; in both only the scheduler's books are involved). Run by bench/lib/peers.ts.
"""
import json
import sys
import time

import ray
from ray.util.placement_group import placement_group, remove_placement_group

P = json.loads(sys.argv[1])


def cycles(bundles, strategy):
    total, conc = P["groups"], P["concurrency"]
    warm = placement_group(bundles, strategy=strategy)
    ray.get(warm.ready())
    remove_placement_group(warm)
    done = 0
    t0 = time.perf_counter()
    while done < total:
        wave = [placement_group(bundles, strategy=strategy) for _ in range(min(conc, total - done))]
        ray.get([pg.ready() for pg in wave])
        for pg in wave:
            remove_placement_group(pg)
        done += len(wave)
    return total / (time.perf_counter() - t0)


def main():
    ray.init(
        num_cpus=1,
        resources={"slot": 4 * P["concurrency"] + 8},
        include_dashboard=False,
        logging_level="ERROR",
        log_to_driver=False,
    )
    out = {"ray": ray.__version__}
    out["one"] = cycles([{"slot": 1}], "PACK")
    out["four"] = cycles([{"slot": 1}] * 4, "SPREAD")
    print(json.dumps(out), flush=True)
    ray.shutdown()


main()
