# The ocop-sync image: CLI, Celery worker and beat (docker-compose.yml), and the sandboxes
# for a local trial (docker-compose.sandbox.yml). The catalog and the configuration are not
# in the image: they are mounted (README, "Deploying").
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A worker has no reason to be root. The beat directory is created here, owned by the user,
# so that the named volume mounted on it starts with the same owner.
RUN useradd --create-home --uid 1000 ocop \
    && mkdir -p /var/lib/ocop-sync/beat \
    && chown -R ocop:ocop /var/lib/ocop-sync

WORKDIR /app

# Dependencies first, exactly as locked (hash-checked): a code change reuses this layer.
# requirements.lock = `make lock` (dependencies + the postgres extra); `make lock-check`.
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock

# Then the code, without resolving anything again.
COPY pyproject.toml README.md ./
COPY sync ./sync
COPY connectors ./connectors
COPY workers ./workers
RUN pip install --no-deps . && rm -rf /app/build

USER ocop
ENV OCOP_SYNC_CONFIG=/config/ocop-sync.toml

CMD ["ocop-sync", "--help"]
