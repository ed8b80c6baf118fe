"""Runs the real Python jaeger-client against a UDP port and prints the IDs it generated.

Run as a subprocess because jaeger-client drives its reporter with its own tornado loop.
Usage: jaeger_client_emit.py <port>
"""

import asyncio
import json
import sys
import time

from jaeger_client.config import Config

port = int(sys.argv[1])
config = Config(
    config={
        "sampler": {"type": "const", "param": 1},
        "local_agent": {"reporting_host": "127.0.0.1", "reporting_port": port},
        "generate_128bit_trace_id": True,
        "reporter_flush_interval": 0.05,
        "logging": False,
        "tags": {"deployment": "test"},
    },
    service_name="jaeger-py-svc",
    validate=True,
)
tracer = config.new_tracer()
root = tracer.start_span("root-op", tags={"span.kind": "server", "http.status_code": 200})
root.set_tag("str.tag", "v")
root.set_tag("bool.tag", True)
root.set_tag("int.tag", 42)
root.set_tag("float.tag", 2.5)
root.log_kv({"event": "cache-miss", "key": "user:1"})
child = tracer.start_span("child-op", child_of=root, tags={"span.kind": "client", "error": True})
child.log_kv({"message": "no event field"})
child.finish()
follower = tracer.start_span("follower-op", references=[__import__("opentracing").follows_from(root.context)])
follower.finish()
root.finish()
out = {
    name: {
        "trace_id": f"{s.context.trace_id:032x}",
        "span_id": f"{s.context.span_id:016x}",
        "start_us": int(s.start_time * 1e6),
        "end_us": int(s.start_time * 1e6) + int(((s.end_time or 0.0) - s.start_time) * 1e6),
        "log_us": [int(log.timestamp) for log in (s.logs or [])],
    }
    for name, s in (("root-op", root), ("child-op", child), ("follower-op", follower))
}
time.sleep(0.3)
asyncio.set_event_loop(asyncio.new_event_loop())
tracer.close()
time.sleep(0.3)
print(json.dumps(out))
