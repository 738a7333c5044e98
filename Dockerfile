# Earnings bot. Stage one builds the wheel (migrations and demo data ship inside it) and pins the
# dependencies from uv.lock; stage two installs both into a virtualenv on a slim base, as a non-root
# user. `earnings-bot run` brings the schema up to date at start, then polls, schedules and sends.

FROM python:3.12-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /src
COPY pyproject.toml uv.lock README.md ./
COPY bot ./bot
COPY alembic ./alembic
COPY config ./config
RUN uv build --wheel -o /dist \
    && uv export --frozen --no-dev --no-emit-project -o /dist/requirements.txt


FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH="/opt/venv/bin:$PATH"

# Every dependency from uv.lock, checked against its hash, then the bot's own wheel.
RUN --mount=type=bind,from=build,source=/dist,target=/dist \
    python -m venv /opt/venv \
    && pip install --no-cache-dir --require-hashes -r /dist/requirements.txt \
    && pip install --no-cache-dir --no-deps /dist/earnings_bot-*.whl

RUN groupadd --system --gid 10001 bot \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --home-dir /app bot \
    && mkdir -p /app/data \
    && chown 10001:10001 /app/data
WORKDIR /app
USER 10001:10001

# The SQLite database (DATABASE_URL's default, sqlite:///./data/earnings-bot.sqlite3) lives here;
# with PostgreSQL (DATABASE_URL=postgresql+psycopg://...) the volume stays empty.
VOLUME ["/app/data"]

# /healthz and /metrics (and, with TELEGRAM_WEBHOOK_URL and TELEGRAM_WEBHOOK_SECRET, the webhook).
ENV HTTP_PORT=8080
EXPOSE 8080
# No curl in a slim image: bot.http_probe asks /healthz with the standard library; exit 0 on 200,
# 1 on a 503 or no answer, with one line saying why.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot.http_probe"]

# Needs TELEGRAM_BOT_TOKEN and SEC_USER_AGENT. Migrations run at start.
CMD ["earnings-bot", "run"]
