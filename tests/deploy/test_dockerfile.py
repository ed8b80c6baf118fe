"""The container recipe, checked statically (no docker daemon here): each instruction against the package.

The Dockerfile is parsed into instructions (continuation lines joined); then: a multi-stage build
on a slim Python base, a non-root user, the ``tempo-py`` entrypoint that pyproject installs,
EXPOSE equal to the ports tempo_py listens on by default (server API, every receiver with its
protocol, the agent's port), a HEALTHCHECK on /ready at the API's default port, COPY sources that
exist and are not excluded by .dockerignore, and a .dockerignore that keeps the build context small.
"""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from pathlib import Path

from tempo_py.config import Config
from tempo_py.config.agent import AgentConfig
from tempo_py.config.receivers import ReceiversConfig, endpoint_host_port

ROOT = Path(__file__).resolve().parents[2]
UDP_RECEIVERS = {"jaeger.thrift_compact", "jaeger.thrift_binary", "xray"}


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, comments dropped, continuation lines joined."""
    out: list[tuple[str, str]] = []
    buf = ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if not buf and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1] + " "
            continue
        buf += line
        word, _, rest = buf.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        buf = ""
    assert not buf, "dangling continuation line"
    return out


def args_of(name: str) -> list[str]:
    return [rest for word, rest in instructions() if word == name]


def image_uid() -> int:
    """The UID the image runs as (its last USER)."""
    user = args_of("USER")[-1].split(":")[0]
    assert user.isdigit(), "USER should be numeric so runAsNonRoot can verify it"
    return int(user)


def test_multi_stage_on_a_slim_python_base() -> None:
    froms = args_of("FROM")
    assert len(froms) >= 2
    for f in froms:
        image = f.split()[0]
        assert re.fullmatch(r"python:3\.\d+-slim", image), image
    stages = [f.split()[-1] for f in froms if " AS " in f.upper()]
    copies_from = [re.search(r"--from=(\S+)", c) for c in args_of("COPY")]
    assert any(m and m.group(1) in stages for m in copies_from), "the runtime copies from the build stage"
    py = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    minor = int(re.search(r"3\.(\d+)", froms[0]).group(1))  # type: ignore[union-attr]
    assert minor >= int(py.split(".")[1])


def test_runs_as_a_non_root_user() -> None:
    assert image_uid() != 0
    assert any(str(image_uid()) in r for r in args_of("RUN")), "the user is created in the image"


def test_entrypoint_is_the_installed_script() -> None:
    (entry,) = args_of("ENTRYPOINT")
    argv = json.loads(entry)
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert argv == ["tempo-py"] and "tempo-py" in scripts
    assert json.loads(args_of("CMD")[-1]) == ["serve"]


def default_ports() -> set[str]:
    """Every port tempo_py listens on by default, as EXPOSE writes them."""
    ports = {str(Config().server.http_listen_port), str(AgentConfig().server.http_listen_port)}
    for name, endpoint in ReceiversConfig.all_enabled().enabled().items():
        port = endpoint_host_port(endpoint)[1]
        ports.add(f"{port}/udp" if name in UDP_RECEIVERS else str(port))
    return ports


def test_exposes_every_default_port() -> None:
    exposed = {p.removesuffix("/tcp") for e in args_of("EXPOSE") for p in e.split()}
    # server.grpc_listen_port (9095) is accepted for Tempo compatibility but nothing listens on it.
    assert exposed == default_ports()


def test_healthcheck_asks_ready_on_the_api_port() -> None:
    (hc,) = args_of("HEALTHCHECK")
    assert "CMD" in hc
    assert "/ready" in hc
    assert f"'{Config().server.http_listen_port}'" in hc  # default port; HEALTHCHECK_PORT for the agent
    assert "TEMPO_PY_" not in hc  # that prefix is reserved for config keys


def _ignored(path: str, patterns: list[str]) -> bool:
    hit = False
    for pat in patterns:
        neg = pat.startswith("!")
        pat = pat.lstrip("!").rstrip("/")
        if fnmatch.fnmatch(path, pat) or fnmatch.fnmatch(path, pat + "/*") or path.startswith(pat + "/"):
            hit = not neg
    return hit


def test_copy_sources_exist_and_are_in_the_context() -> None:
    patterns = [
        ln.strip() for ln in (ROOT / ".dockerignore").read_text().splitlines() if ln.strip() and ln[0] != "#"
    ]
    for copy in args_of("COPY"):
        if "--from=" in copy:
            continue
        *sources, _dest = copy.split()
        for src in sources:
            assert (ROOT / src).exists(), src
            assert not _ignored(src, patterns), f"{src} is excluded by .dockerignore"
    for heavy in (".git", ".venv", "tests", "bench", "data", "test-artifacts"):
        assert _ignored(heavy, patterns), heavy
    # What pip needs to build the package is all there: the package data pyproject names.
    assert (ROOT / "tempo_py" / "distributor" / "receivers" / "jaeger" / "idl").is_dir()
