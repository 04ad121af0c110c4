# Build: docker build -t picasso-api .
# Try:   docker run --rm -p 10001:10001 picasso-api --dev-listen 0.0.0.0
# Run:   README.md, "Run in a container" (env file, migrations, volume).

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/picasso-api ./cmd/picasso-api

FROM debian:bookworm-slim
# ca-certificates for https backends and Keystone; tini as PID 1 reaps the
# orphans of killed function calls (picasso-api would leave them zombies);
# bubblewrap sandboxes the local runtime's calls. The example functions are
# POSIX shell scripts, which the base image runs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tini bubblewrap \
    && rm -rf /var/lib/apt/lists/* \
    && install -d -o 10001 -g 10001 -m 0750 /var/lib/picasso
COPY --from=build /out/picasso-api /usr/local/bin/picasso-api
COPY examples/functions /usr/share/picasso/functions
# Numeric, so that Kubernetes' runAsNonRoot can verify it; no passwd entry
# is needed.
USER 10001:10001
WORKDIR /var/lib/picasso
# The embedded SQLite database (the default) lives in the volume.
VOLUME /var/lib/picasso
# The drain fits within docker stop's default 10 s, closing included.
ENV PICASSO_HOST=0.0.0.0 \
    PICASSO_PORT=10001 \
    PICASSO_DRAIN_TIMEOUT=7s \
    PICASSO_FUNCTIONS_DIR=/usr/share/picasso/functions
EXPOSE 10001
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=6s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/picasso-api", "healthcheck"]
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/picasso-api"]
