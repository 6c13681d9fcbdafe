# One image for the operator (`python -m seed_operator`), its Jobs (`seedctl ...`), the purge
# CronJob and the Argo CD verification hook (`seed-verify`). Build: make image.
#
# The base is pinned to an exact tag of the Python version the project is tested with (3.11, see
# pyproject.toml); pin it by digest in your registry mirror (PYTHON_IMAGE=python@sha256:...).
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

# --- build: install the project and its pinned dependencies into a virtualenv ---------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/seed
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY seedlib ./seedlib
COPY operator ./operator
# constraints.txt pins every dependency to the versions the test suite ran with.
RUN /opt/seed/bin/pip install --upgrade 'pip>=24.3' \
 && /opt/seed/bin/pip install -c constraints.txt . \
 && /opt/seed/bin/python -m compileall -q /opt/seed/lib \
 && /opt/seed/bin/seedctl --help >/dev/null \
 && /opt/seed/bin/python -c "import seed_operator.main, seed_operator.verify"

# --- runtime: the virtualenv on a clean base, as a non-root user -----------------------------------
FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="seed-operator" \
      org.opencontainers.image.description="seed-operator, seedctl and seed-verify"
# 10001 is the UID the chart and the operator's Jobs run as (runAsUser); no login shell, no home.
RUN groupadd --system --gid 10001 seed \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin seed
COPY --from=build /opt/seed /opt/seed
# The root filesystem is read-only in the cluster: HOME and every scratch path are under /tmp
# (an emptyDir), and Python writes no bytecode at run time (it was compiled above).
ENV PATH=/opt/seed/bin:$PATH \
    HOME=/tmp \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SEED_LOCAL_DIR=/tmp/seed
USER 10001:10001
WORKDIR /tmp
CMD ["seedctl", "--help"]
