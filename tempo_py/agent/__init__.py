"""The node agent (``tempo-py agent``): receivers on every node, a durable queue, OTLP/gRPC onward.

One idea per file: :mod:`~tempo_py.agent.queue` (the bounded on-disk queue: fsync before ack),
:mod:`~tempo_py.agent.k8s` (Kubernetes resource attributes known without the API server),
:mod:`~tempo_py.agent.forward` (batches from the queue to the distributors with retries),
:mod:`~tempo_py.agent.receivers` (the distributor's receivers behind the agent's push),
:mod:`~tempo_py.agent.metrics`, and :mod:`~tempo_py.agent.process` (start/stop order, /ready and
/metrics). The agent's config file (its keys and every default) is :mod:`tempo_py.config.agent`,
with the rest of the configuration schema.
"""
