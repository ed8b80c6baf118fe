"""TraceQL metrics queries (`{ } | rate() by (resource.service.name)`) over blocks and live data.

    request.py   parameters, default step, alignment, right-closed intervals (Tempo's rules)
    plan.py      a metrics query taken apart: pipeline, function, second stages, columns
    observe.py   a span table -> a partial aggregate per (labels, interval[, log2 bucket]) (Arrow)
    series.py    merged partials -> series, quantiles, topk/bottomk, filters, order, series limit
    response.py  tempopb QueryRangeResponse / QueryInstantResponse as JSON and protobuf
    engine.py    blocks (through SearchEngine's planning and pruning) and live data, each span once
    api.py       /api/metrics/query_range and /api/metrics/query

See docs/metrics.md.
"""
