# syntax=docker/dockerfile:1
#
# mcpgate's container image: a static binary on distroless/static, run as the
# image's non-root user. Build it from the repository root:
#
#   docker build -t mcpgate:dev --build-arg VERSION=$(git describe --always --dirty) .
#
# deploy/image_test.go reads this file: it builds the binary with the RUN line
# below, assembles a FROM-scratch variant of the final stage (same user,
# entrypoint, command, port and environment) and runs the binary taken out of
# it. Keep the build flags on one RUN line and the final stage's instructions
# in their simple forms, so that the test keeps describing this image.

ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# CGO off: the binary needs no libc, so it runs on an image with no loader.
# -trimpath: no build machine paths in the binary; -X main.version: what
# `mcpgate version` and the start-up log print.
RUN CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/mcpgate ./cmd/mcpgate

# distroless/static: CA certificates, /etc/passwd with nonroot (65532), tzdata;
# no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/mcpgate /mcpgate
USER 65532:65532
# The built-in default listens on loopback, which nothing outside the
# container can reach.
ENV MCPGATE_ADDR=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/mcpgate"]
CMD ["serve"]
