# syntax=docker/dockerfile:1
# tempo_py container image: the single binary (`tempo-py serve`) and the node agent (`tempo-py agent`).
#   docker build -t tempo-py .
#   docker run -p 3200:3200 -p 4317:4317 -p 4318:4318 tempo-py serve --config /etc/tempo-py/tempo-py.yaml
# Manifests that use it: deploy/kubernetes/ (docs/kubernetes.md). Checked by tests/deploy/test_dockerfile.py.

# ---- build: a virtualenv with the package and its dependencies (binary wheels: no compiler needed)
FROM python:3.12-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY tempo_py ./tempo_py
RUN python -m venv /opt/tempo-py \
 && /opt/tempo-py/bin/pip install --upgrade pip \
 && /opt/tempo-py/bin/pip install .

# ---- runtime: the virtualenv only, run as an unprivileged user
FROM python:3.12-slim AS runtime
ENV PATH=/opt/tempo-py/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
COPY --from=build /opt/tempo-py /opt/tempo-py
RUN groupadd --system --gid 10001 tempo \
 && useradd --system --uid 10001 --gid tempo --home-dir /var/tempo --shell /usr/sbin/nologin tempo \
 && mkdir -p /var/tempo /etc/tempo-py \
 && chown tempo:tempo /var/tempo
WORKDIR /var/tempo
USER 10001:10001
# Tempo's API (3200) and every receiver's default port; the agent's own HTTP port (3201).
EXPOSE 3200 3201 \
       4317 4318 \
       6831/udp 6832/udp 14268 14250 \
       9411 \
       2000/udp
# /ready answers 200 once the WAL is replayed (server) or the queue recovered (agent: HEALTHCHECK_PORT=3201).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('HEALTHCHECK_PORT', '3200'); sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/ready', timeout=2).status == 200 else 1)"]
ENTRYPOINT ["tempo-py"]
CMD ["serve"]
