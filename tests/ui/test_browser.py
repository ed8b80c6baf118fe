"""The built-in UI in headless Chromium: search, the scatter plot, a trace's waterfall, expanding
and collapsing spans, span details, a link to another trace, a deep link and the service graph,
with a screenshot of each step in the artefact directory and no console errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.query_apis.servers import ApiServer

from .conftest import ARTIFACTS, Traces


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page that records console errors and uncaught exceptions."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(90_000)  # others' benchmarks may share the two cores
    pg = context.new_page()
    pg.errors = []
    pg.on("console", lambda msg: pg.errors.append(msg.text) if msg.type == "error" else None)
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    try:
        yield pg
    finally:
        context.close()


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_search_trace_details_link_and_graph(page: Any, ui_server: tuple[ApiServer, Traces]) -> None:
    server, traces = ui_server
    page.goto(server.srv.url + "/ui")
    page.wait_for_selector("#service option[value='ui-web']", state="attached")
    page.select_option("#service", "ui-web")
    page.wait_for_selector("#span-name option[value='GET /home']", state="attached")
    page.select_option("#span-name", "GET /home")
    page.click("#search-button")
    page.wait_for_selector("#results .trace-link")
    links = page.locator("#results .trace-link")
    assert [links.nth(i).inner_text() for i in range(links.count())] == [traces.main]
    assert page.locator(f".scatter circle.error[data-trace='{traces.main}']").count() == 1  # errors marked
    assert "1 error" in page.inner_text("#results tbody")
    _shot(page, "1-search")

    links.first.click()
    page.wait_for_selector("#waterfall .row")
    assert page.url.endswith(f"/ui/trace/{traces.main}")
    rows = page.locator("#waterfall .row")
    assert rows.count() == 4
    assert page.locator("#waterfall .row.error").count() == 1
    assert "1 error" in page.inner_text("#trace-header")
    _shot(page, "2-trace")

    # collapse the api span's subtree (hides its child), then expand it again
    api_row = page.locator("#waterfall .row.error")
    api_row.locator(".toggle").click()
    assert rows.count() == 3
    page.locator("#waterfall .row.error .toggle").click()
    assert rows.count() == 4

    page.locator("#waterfall .row.error").click()
    page.wait_for_selector("#span-details")
    details = page.inner_text("#span-details")
    assert "upstream failed" in details and "retry" in details and "attempt=2" in details
    assert "service.name" in details and "ui-api" in details and "reason=follow-up" in details
    _shot(page, "3-span-details")

    page.click("#span-details a.span-link")
    page.wait_for_url(f"**/ui/trace/{traces.other}")
    page.wait_for_selector("#waterfall .row")
    assert page.locator("#waterfall .row").count() == 1
    assert "async job" in page.inner_text("#waterfall")
    _shot(page, "4-linked-trace")

    page.click("#nav-graph")
    page.wait_for_selector("#service-graph")
    assert page.locator("#service-graph line[data-edge='ui-web->ui-api']").count() == 1
    assert page.locator("#service-graph line[data-edge='ui-api->ui-db']").count() == 1
    _shot(page, "5-service-graph")
    assert page.errors == []


def test_deep_link_and_traceql(page: Any, ui_server: tuple[ApiServer, Traces]) -> None:
    server, traces = ui_server
    page.goto(f"{server.srv.url}/ui/trace/{traces.main}")
    page.wait_for_selector("#waterfall .row")
    assert page.locator("#waterfall .row").count() == 4
    page.click("#nav-search")
    page.wait_for_selector("#traceql")
    page.fill("#traceql", '{ resource.service.name = "ui-api" && status = error }')
    page.click("#search-button")
    page.wait_for_selector("#results .trace-link")
    assert page.locator("#results .trace-link").first.inner_text() == traces.main
    page.fill("#traceql", "")
    page.fill("#tags", "db.system=postgres")
    page.click("#search-button")
    page.wait_for_selector("#results .trace-link")
    assert page.locator("#results .trace-link").first.inner_text() == traces.main
    _shot(page, "6-traceql-search")
    page.goto(f"{server.srv.url}/ui/trace/{'ab' * 16}")
    page.wait_for_selector("#trace-missing")
    assert "not found" in page.inner_text("#trace-missing")
    # a 404 the app expected still logs a failed resource load in Chromium; nothing else may
    assert [e for e in page.errors if "404" not in e] == []


def test_token_box_authenticates_the_api_calls(page: Any, tempo_server_factory: Any) -> None:
    srv = tempo_server_factory({"server": {"auth": {"tokens": {"ui-s3cret": "single-tenant"}}}})
    page.goto(srv.url + "/ui/")
    page.wait_for_selector("#status:not(:empty)")
    assert "401" in page.inner_text("#status")  # the services list needs the token
    page.fill("#token", "ui-s3cret")
    page.press("#token", "Enter")
    page.wait_for_selector("#search-form")
    page.wait_for_function("document.getElementById('status').textContent === ''")
    page.click("#search-button")
    page.wait_for_selector("#results")
    assert page.inner_text("#status") == ""
    _shot(page, "7-token")
    assert [e for e in page.errors if "401" not in e] == []


def test_custom_time_range(page: Any, ui_server: tuple[ApiServer, Traces]) -> None:
    import datetime
    import time

    server, traces = ui_server
    page.goto(server.srv.url + "/ui/")
    page.wait_for_selector("#service option[value='ui-web']", state="attached")
    page.select_option("#range", "custom")
    assert page.is_visible("#from")

    def local(ts: float) -> str:
        return datetime.datetime.fromtimestamp(ts).strftime("%Y-%m-%dT%H:%M:%S")

    now = time.time()
    page.fill("#traceql", '{ resource.service.name = "ui-web" }')
    page.fill("#from", local(now - 600))
    page.fill("#to", local(now + 60))
    page.click("#search-button")
    page.wait_for_selector("#results .trace-link")
    assert page.locator("#results .trace-link").first.inner_text() == traces.main
    page.fill("#from", local(now - 7200))
    page.fill("#to", local(now - 3600))
    page.click("#search-button")
    page.wait_for_selector("#results")
    assert page.locator("#results .trace-link").count() == 0
    assert "0 traces" in page.inner_text("#results")
    _shot(page, "8-custom-range")
    assert page.errors == []
