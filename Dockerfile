# A small static image that runs as a non-root user.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# `make image` passes what `make build` would print in `bot version`; the
# build line is the Makefile's.
ARG VERSION=dev
ARG COMMIT=unknown
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=$VERSION -X main.commit=$COMMIT" -o /out/bot ./cmd/bot

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/bot /bot
# The image's own config listens on 0.0.0.0, as a published port needs.
COPY deploy/docker/config.yaml /etc/streamops/config.yaml
USER nonroot:nonroot
WORKDIR /home/nonroot
EXPOSE 8080 4222
ENTRYPOINT ["/bot"]
CMD ["serve", "--config", "/etc/streamops/config.yaml"]
