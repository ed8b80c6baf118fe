// Emit one trace with the Node.js jaeger-client and print what was sent as JSON.
// Usage: node node_jaeger_emit.js udp <port> | http <collector url>
//   udp:  UDPSender, Agent.emitBatch in Thrift *binary* (thriftrw), the 6832-style port
//   http: HTTPSender, a Thrift binary Batch POSTed to <collector url> (/api/traces, 14268-style)
// jaeger-client is found through NODE_PATH (see tempo_py/testing/node_jaeger.py).
'use strict';

const { initTracer } = require('jaeger-client');
const opentracing = require('opentracing');

const [mode, endpoint] = process.argv.slice(2);
const reporter = mode === 'udp'
  ? { agentHost: '127.0.0.1', agentPort: Number(endpoint), flushIntervalMs: 50 }
  : { collectorEndpoint: endpoint, flushIntervalMs: 50 };
const tracer = initTracer(
  {
    serviceName: `node-jaeger-${mode}`,
    sampler: { type: 'const', param: 1 },
    reporter,
  },
  {
    tags: { 'deployment.environment': 'e2e', 'build.number': 17 },
    traceId128bit: true,
    logger: { info() {}, error(msg) { process.stderr.write(`${msg}\n`); } },
  },
);

// Times in ms with binary fractions (.25, .5, .125): the client multiplies by 1000 into an int64
// of µs, so these give sub-millisecond µs values that survive exactly.
const base = Math.floor(Date.now()) + 0.25;
const root = tracer.startSpan(`node-root-${mode}`, {
  startTime: base,
  tags: { [opentracing.Tags.SPAN_KIND]: 'server', 'http.method': 'GET', 'http.status_code': 503 },
});
root.setTag('flag', true);
root.setTag('ratio', 0.75);
root.log({ event: 'queued', depth: 4 }, base + 1.5);
const child = tracer.startSpan('node-child', {
  childOf: root,
  startTime: base + 2.125,
  tags: { [opentracing.Tags.SPAN_KIND]: 'client', 'peer.service': 'redis', error: true },
});
child.finish(base + 3.5);
const follower = tracer.startSpan('node-follower', {
  references: [opentracing.followsFrom(root.context())],
  startTime: base + 4,
});
follower.finish(base + 4.25);
root.finish(base + 5);

const info = (span, start, end, logs) => ({
  trace_id: span.context().traceIdStr,
  span_id: span.context().spanIdStr,
  start_us: Math.round(start * 1000),
  end_us: Math.round(end * 1000),
  log_us: logs.map((t) => Math.round(t * 1000)),
});
const out = {
  [`node-root-${mode}`]: info(root, base, base + 5, [base + 1.5]),
  'node-child': info(child, base + 2.125, base + 3.5, []),
  'node-follower': info(follower, base + 4, base + 4.25, []),
};
tracer.close(() => {
  process.stdout.write(`${JSON.stringify(out)}\n`);
});
