# syntax=docker/dockerfile:1
# Build: docker build -t shianbao .
# Run:   docker run -p 8080:8080 -e SHIANBAO_DB_DRIVER=mysql -e SHIANBAO_DB_DSN=... shianbao -config configs/production.example.yaml
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/shianbao ./cmd/shianbao

FROM alpine:3.20
# Templates, static assets and the default configuration are embedded in the
# binary; configs/ is copied so operators can start from the examples.
RUN apk add --no-cache ca-certificates tzdata wget \
    && addgroup -S shianbao && adduser -S -G shianbao -h /var/lib/shianbao shianbao \
    && mkdir -p /var/lib/shianbao/media && chown -R shianbao:shianbao /var/lib/shianbao
WORKDIR /var/lib/shianbao
COPY --from=build /out/shianbao /usr/local/bin/shianbao
COPY configs /etc/shianbao
USER shianbao
ENV SHIANBAO_HTTP_ADDR=:8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD wget -qO- http://127.0.0.1:8080/healthz >/dev/null || exit 1
ENTRYPOINT ["/usr/local/bin/shianbao"]
CMD ["serve", "-config", "/etc/shianbao/production.example.yaml"]
