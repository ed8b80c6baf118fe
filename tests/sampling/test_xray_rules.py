"""Unit tests: X-Ray rule matching (globs, priority order) and reservoir division among clients."""

from __future__ import annotations

from tempo_py.sampling.xray.quota import QuotaAllocator
from tempo_py.sampling.xray.rules import SamplingRequest, XRayRule, select_rule, wildcard_match
from tempo_py.sampling.xray.service import XRaySamplingService


def test_wildcards() -> None:
    assert wildcard_match("*", None)
    assert wildcard_match("api-*", "api-") and wildcard_match("api-*", "API-orders")
    assert not wildcard_match("api-*", "xapi-orders")
    assert wildcard_match("v?", "v1") and not wildcard_match("v?", "v12") and not wildcard_match("v?", "v")
    assert wildcard_match("/a/*/b?", "/a/x/y/b1")
    assert wildcard_match("a.b", "a.b") and not wildcard_match("a.b", "axb")  # "." is literal
    assert not wildcard_match("x", None)


def test_priority_order_and_attributes() -> None:
    rules = [
        XRayRule("Default", 10000, 1, 0.05),
        XRayRule("b-any", 5, 0, 0.5, url_path="/api/*"),
        XRayRule("a-any", 5, 0, 0.5, url_path="/api/*"),
        XRayRule("orders", 1, 0, 0.1, service_name="orders-?", http_method="POST"),
        XRayRule("tagged", 2, 0, 0.1, attributes={"tier": "gold*"}),
    ]
    pick = lambda **kw: select_rule(rules, SamplingRequest(**kw)).rule_name  # type: ignore[union-attr]  # noqa: E731
    assert pick(service_name="orders-1", http_method="POST", url_path="/api/x") == "orders"
    assert (
        pick(service_name="orders-1", http_method="GET", url_path="/api/x") == "a-any"
    )  # name breaks the tie
    assert pick(service_name="orders-12", http_method="POST", url_path="/x") == "Default"
    assert pick(attributes={"tier": "golden"}) == "tagged"
    assert pick(attributes={"tier": "silver"}) == "Default"


def test_quota_divided_among_recent_clients() -> None:
    q = QuotaAllocator(window_s=21)
    q.report("r", "c1", 100)
    assert q.quota("r", 10, "c1", 100) == 10
    q.report("r", "c2", 101)
    q.report("r", "c3", 101)
    shares = [q.quota("r", 10, c, 101) for c in ("c1", "c2", "c3")]
    assert shares == [4, 3, 3] and sum(shares) == 10
    # c1 goes quiet: after the window the others share the whole reservoir.
    q.report("r", "c2", 125)
    q.report("r", "c3", 125)
    assert [q.quota("r", 10, c, 125) for c in ("c2", "c3")] == [5, 5]
    assert q.quota("r", 10, "c1", 125) == 0


def test_service_batch_counts_every_client_in_it() -> None:
    svc = XRaySamplingService([XRayRule("r", 1, 6, 0.1), XRayRule("Default", 10000, 0, 0.0)], 1.0, 10, 30)
    docs = [{"RuleName": "r", "ClientID": c} for c in ("a", "b", "c")] + [
        {"RuleName": "Default", "ClientID": "a"}
    ]
    out = svc.get_sampling_targets(docs, 50.0)
    quotas = {(d["RuleName"], d.get("ReservoirQuota")) for d in out["SamplingTargetDocuments"]}
    assert quotas == {("r", 2), ("Default", None)}
    assert out["SamplingTargetDocuments"][0]["ReservoirQuotaTTL"] == 80
    bad = svc.get_sampling_targets([{"RuleName": "r"}], 50.0)
    assert bad["SamplingTargetDocuments"] == [] and bad["UnprocessedStatistics"][0]["ErrorCode"] == "400"
