# claimwatch: one image for the worker, beat, migrations and the web service.
FROM python:3.11-slim AS build
COPY --from=ghcr.io/astral-sh/uv:0.9 /uv /usr/local/bin/uv
WORKDIR /app
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --extra flower --no-install-project
COPY . .
# The project itself is installed editable, outside site-packages: compile it too, so no
# container start compiles it again.
RUN uv sync --frozen --no-dev --extra flower \
    && .venv/bin/python -m compileall -q config analysis ingest storage monitoring notify tasks worker web cli

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 claimwatch
WORKDIR /app
COPY --from=build --chown=claimwatch /app /app
ENV PATH="/app/.venv/bin:$PATH" CLAIMWATCH_LOG_FORMAT=json
USER claimwatch
CMD ["claimwatch", "run"]
