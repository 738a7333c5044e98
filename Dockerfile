# Earnings bot: one process polls the sources, runs the scheduler and sends alerts.
# Built from the wheel, as `pip install .` installs it: migrations and demo data ship inside.
FROM python:3.12-slim AS build

ENV UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv
WORKDIR /src
COPY pyproject.toml uv.lock README.md ./
COPY bot ./bot
COPY alembic ./alembic
COPY config ./config
RUN uv build --wheel -o /dist \
    && uv export --frozen --no-dev --no-emit-project --no-hashes -o /dist/requirements.txt

FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH="/opt/venv/bin:$PATH"

COPY --from=build /dist /dist
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir -r /dist/requirements.txt \
    && /opt/venv/bin/pip install --no-cache-dir --no-deps /dist/*.whl \
    && rm -rf /dist

RUN useradd --create-home --uid 10001 bot && mkdir -p /app/data && chown bot /app/data
WORKDIR /app
COPY config ./config
USER bot
VOLUME ["/app/data"]

# /healthz and /metrics (and, with TELEGRAM_WEBHOOK_URL and TELEGRAM_WEBHOOK_SECRET, the webhook)
ENV HTTP_PORT=8080
EXPOSE 8080
# No curl in a slim image: Python's urllib asks /healthz (a 503 raises, so the check fails).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('HTTP_PORT', '8080'), timeout=8)"]

# Needs TELEGRAM_BOT_TOKEN and SEC_USER_AGENT; DATABASE_URL defaults to SQLite in /app/data.
CMD ["earnings-bot", "run"]
