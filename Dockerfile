# The ocop-sync application image: CLI, Celery worker, beat and sandboxes (docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY sync ./sync
COPY connectors ./connectors
COPY workers ./workers
RUN pip install ".[postgres]"

# The sample catalog and the compose configuration (accounts on the sandboxes).
COPY examples ./examples
COPY deploy ./deploy

# Celery refuses nothing as root but warns; a worker has no reason to be root.
RUN useradd --create-home --uid 1000 ocop
USER ocop
ENV OCOP_SYNC_CONFIG=/app/deploy/ocop-sync.toml

CMD ["ocop-sync", "--help"]
