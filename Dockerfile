# smartnode: one national node. Build: docker build -t smartnode .
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --system --create-home --uid 10001 smartnode
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER smartnode
WORKDIR /home/smartnode
# made by the user, so that a volume mounted here (or at media/) starts writable by it
RUN mkdir -p /home/smartnode/data/media
ENV SMARTNODE_DATA_DIR=/home/smartnode/data \
    PYTHONUNBUFFERED=1
VOLUME ["/home/smartnode/data"]
EXPOSE 8000
CMD ["smartnode", "serve", "--host", "0.0.0.0", "--port", "8000"]
