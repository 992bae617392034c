# syntax=docker/dockerfile:1
# redline, CPU image: `redline serve` by default; the same image runs `redline worker` and
# `redline migrate` (the chart's pods and migration Job). Build: docker build -t redline .

ARG PYTHON_VERSION=3.11

# --- build: a virtual environment with redline, its CPU torch and its trained weights --------
FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/redline/bin:$PATH
RUN python -m venv /opt/redline
# torch first, pinned as in pyproject.toml, from the CPU index: from PyPI the same pin is a
# multi-GB CUDA build.
ARG TORCH_VERSION=2.13.0
RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch==${TORCH_VERSION}"
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY webhooks ./webhooks
COPY review_models ./review_models
COPY ordering ./ordering
COPY verify ./verify
COPY engine ./engine
RUN pip install . \
    && pip check
# The weights ship inside the package: a review that loads both models proves they are there.
RUN printf 'diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a = 1\n+a = 2\n' \
        > /tmp/smoke.diff \
    && redline review --diff /tmp/smoke.diff --format json --fail-on never > /tmp/smoke.json \
    && python -c "import json; runs = {a['name']: a['status'] for a in json.load(open('/tmp/smoke.json'))['analyzers']}; assert runs.get('detector') == 'ok' and runs.get('entropy') == 'ok', runs" \
    && rm /tmp/smoke.diff /tmp/smoke.json

# --- runtime: the environment only, a non-root user, no compilers ------------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
LABEL org.opencontainers.image.title="redline" \
      org.opencontainers.image.description="Self-hosted code-review and verification bot" \
      org.opencontainers.image.source="https://github.com/redline-review/redline" \
      org.opencontainers.image.licenses="MIT"
RUN groupadd --system --gid 10001 redline \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --home-dir /home/redline \
        --create-home redline \
    && mkdir /data \
    && chown 10001:10001 /data
COPY --from=build /opt/redline /opt/redline
# HOME in /tmp: with a read-only root filesystem (the chart's default) /tmp is the one
# writable place (semgrep keeps its settings under $HOME).
ENV PATH=/opt/redline/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    REDLINE_DATA_DIR=/data
WORKDIR /data
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["redline"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
