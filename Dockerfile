# syntax=docker/dockerfile:1
# Build: docker build -t picasso-api .
# Run:   docker run -d -p 10001:10001 --env-file Dockerfile.env picasso-api

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/picasso-api ./cmd/picasso-api

FROM debian:bookworm-slim
# ca-certificates for https backends and Keystone; bubblewrap for the local
# runtime's sandbox (as a non-root user it needs user namespaces, which
# Docker's default seccomp profile refuses; see docs/security.md). The
# example functions are POSIX shell scripts, which the base image runs.
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates bubblewrap \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/picasso --create-home picasso
COPY --from=build /out/picasso-api /usr/local/bin/picasso-api
COPY examples/functions /usr/share/picasso/functions
USER picasso
WORKDIR /var/lib/picasso
ENV PICASSO_HOST=0.0.0.0 \
    PICASSO_PORT=10001 \
    PICASSO_FUNCTIONS_DIR=/usr/share/picasso/functions
EXPOSE 10001
ENTRYPOINT ["/usr/local/bin/picasso-api"]
