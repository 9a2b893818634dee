# policywatch: one replica of the bot. Build: docker build -t policywatch .
# Run with PostgreSQL and several replicas: see compose.yaml and docs/SCALING.md.
#
# Two stages: story grouping (bot/stories/grouping.pyx) and the matcher's scan
# (bot/scan.pyx) are compiled extensions, so
# the wheels are built in the full python image, which has gcc/g++ and the
# Python headers; the runtime image installs those wheels and has no compiler.
# (Without a compiler the build would still succeed, with the slower
# pure-Python grouping: `policywatch --version` in the image says which.)

# ---- build stage: wheels for policywatch and every dependency
FROM python:3.11 AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Build from a copy of the sources only (see .dockerignore: no compiled objects
# or generated C++ from a local checkout).
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY watchlists ./watchlists
RUN pip wheel --wheel-dir /wheels '.[postgres]'

# ---- runtime stage
# Same Python minor version as the build stage: the extension is built for it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Install from the build stage's wheels only (no index, nothing compiled here);
# the shipped watchlists come along as package data. COPY rather than
# RUN --mount=type=bind so that builds without BuildKit work too.
COPY --from=build /wheels /tmp/wheels
RUN pip install --no-index --find-links=/tmp/wheels 'policywatch[postgres]' \
    && rm -rf /tmp/wheels

# Never run as root: the bot needs no privileges, only its data folder.
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin policywatch \
    && mkdir -p /var/lib/policywatch \
    && chown policywatch:policywatch /var/lib/policywatch
USER policywatch
WORKDIR /home/policywatch
ENV POLICYWATCH_DATA_DIR=/var/lib/policywatch

# Slack over HTTP (POLICYWATCH_SLACK_PORT) and the ops endpoints (POLICYWATCH_OPS_PORT).
EXPOSE 3000 9000

CMD ["policywatch", "run"]
