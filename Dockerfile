# policywatch: one replica of the bot. Build: docker build -t policywatch .
# Run with PostgreSQL and several replicas: see compose.yaml and docs/SCALING.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Install from a throw-away source folder: the image keeps only the installed
# package (with the shipped watchlists as package data), not the build tree.
WORKDIR /tmp/src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY watchlists ./watchlists
RUN pip install '.[postgres]' && rm -rf /tmp/src

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
