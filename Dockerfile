# The trade-executor command in an image: `docker run IMAGE hello` prints "Hello blockchain",
# `docker run IMAGE start` trades (configured with environment variables or an env file).
# Build: docker build -t trade-executor:$TRADE_EXECUTOR_VERSION .   (or: docker compose build)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Inside a container the webhook must listen on every interface for a published port to reach
# it; docker-compose.yml publishes it on the host's 127.0.0.1 only. An env file may override it.
# With HTTP_ENABLED=true on this address, start refuses to run without HTTP_USERNAME and
# HTTP_PASSWORD: put both in the secret env file.
ENV HTTP_HOST=0.0.0.0

# docker-compose.yml mounts strategy/, state/ and cache/ under this folder.
WORKDIR /usr/src/trade-executor

# The pinned dependencies exactly as pyproject.toml lists them, in their own layer: it is
# rebuilt when pyproject.toml changes, not on every code change.
COPY pyproject.toml /tmp/build/
RUN cd /tmp/build \
    && python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && pip install -r requirements.txt

# The package itself; its dependencies are already installed (pip check proves they match).
COPY README.md /tmp/build/
COPY trade_executor /tmp/build/trade_executor
RUN pip install --no-deps /tmp/build && pip check && rm -rf /tmp/build

COPY strategies ./strategies
RUN mkdir -p strategy state cache

EXPOSE 3456
ENTRYPOINT ["trade-executor"]
CMD ["--help"]
