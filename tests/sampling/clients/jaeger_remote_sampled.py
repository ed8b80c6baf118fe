"""Runs the real Python jaeger-client with its RemoteControlledSampler against a sampling port.

Waits until the sampler it fetched describes itself as ``--expect`` (a substring of its str(),
e.g. "ProbabilisticSampler(0.25)"), then starts ``--traces`` root spans per operation (over
``--seconds`` if given, else as fast as it can) and prints, as JSON, how many of each the sampler
kept, the sampler's description and, for a per-operation sampler, the rate it holds per operation.
Spans are reported over UDP to ``--reporting-port`` when given (0: nowhere that listens).
Run as a subprocess because jaeger-client drives its sampler polling on its own tornado loop.
"""

import argparse
import asyncio
import json
import sys
import time

from jaeger_client.config import Config

ap = argparse.ArgumentParser()
ap.add_argument("--sampling-port", type=int, required=True)
ap.add_argument("--reporting-port", type=int, default=9)
ap.add_argument("--service", required=True)
ap.add_argument("--ops", default="op")
ap.add_argument("--traces", type=int, default=2000)
ap.add_argument("--seconds", type=float, default=0.0)
ap.add_argument("--expect", default="")
ap.add_argument("--wait", type=float, default=30.0)
args = ap.parse_args()

config = Config(
    config={
        "local_agent": {
            "sampling_port": args.sampling_port,
            "reporting_host": "127.0.0.1",
            "reporting_port": args.reporting_port,
        },
        "sampling_refresh_interval": 1,
        "reporter_flush_interval": 0.05,
        "reporter_queue_size": 100000,
        "logging": False,
    },
    service_name=args.service,
    validate=True,
)
tracer = config.new_tracer()
remote = tracer.sampler
deadline = time.monotonic() + args.wait
while args.expect not in str(remote.sampler):
    if time.monotonic() > deadline:
        print(json.dumps({"error": f"sampler is {remote.sampler}, wanted {args.expect}"}))
        sys.exit(1)
    time.sleep(0.05)

ops = args.ops.split(",")
kept = {op: 0 for op in ops}
pause = args.seconds / args.traces if args.seconds else 0.0
start = time.monotonic()
for i in range(args.traces):
    for op in ops:
        span = tracer.start_span(op)
        kept[op] += int(span.is_sampled())
        span.finish()
    if pause:
        time.sleep(max(0.0, start + (i + 1) * pause - time.monotonic()))
elapsed = time.monotonic() - start
inner = remote.sampler
rates = {op: s.probabilistic_sampler.rate for op, s in getattr(inner, "samplers", {}).items()}
time.sleep(0.3)
print(json.dumps({"sampler": str(inner), "kept": kept, "elapsed": elapsed, "rates": rates}))
sys.stdout.flush()
asyncio.set_event_loop(asyncio.new_event_loop())
tracer.close()
