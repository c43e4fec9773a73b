# syntax=docker/dockerfile:1
# taskpod controller image: one static-stdlib Swift binary on debian:bookworm-slim, running as a non-root user.
#
#   docker build -t taskpod:dev .          (or: make image)
#
# The runtime stage installs exactly the shared libraries the binary links besides the Swift runtime (which
# --static-swift-stdlib embeds): libcurl4 (HTTP to the API server) and libyaml-0-2 (YAML). scripts/check-image-libs.sh
# proves this list against `ldd` of a built binary; keep the two in step.

ARG SWIFT_IMAGE=swift:6.1-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build
# DL3008: the -dev packages are not version-pinned on purpose: they come from the Swift image's own bookworm
# snapshot and only have to match the runtime stage's Debian release, which both stages share.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libcurl4-openssl-dev libyaml-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so that a change in Sources/ reuses the resolved-packages layer. Package.resolved is not
# committed; the [d] glob copies it when the build context has one and matches nothing otherwise (Package.swift
# always matches, so the COPY never fails).
COPY Package.swift Package.resolve[d] ./
RUN swift package resolve
# SwiftPM checks every target's folder exists, so Tests/ and Benchmarks/ come too (they are not built).
COPY Sources ./Sources
COPY Tests ./Tests
COPY Benchmarks ./Benchmarks
RUN swift build -c release --product taskpod --static-swift-stdlib \
    && install -D -m 0755 "$(swift build -c release --show-bin-path)/taskpod" /out/taskpod

FROM ${RUNTIME_IMAGE}
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="taskpod" \
      org.opencontainers.image.description="Kubernetes pod-per-task executor controller (one Pod per task instance)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="docker.io/library/debian:bookworm-slim"
# DL3008: package versions are deliberately left to the base image's Debian snapshot (bookworm point releases
# carry only security fixes); pinning would make every rebuild fail once the archive drops the pinned version.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libcurl4 libyaml-0-2 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && install -d -o 65532 -g 65532 -m 0750 /var/lib/taskpod
COPY --from=build /out/taskpod /usr/local/bin/taskpod
# A numeric user (no passwd entry needed) so that Kubernetes' runAsNonRoot can verify it without resolving names.
USER 65532:65532
WORKDIR /var/lib/taskpod
EXPOSE 8080
# No HEALTHCHECK: Kubernetes probes /healthz and /readyz (see the Deployment); Docker's HEALTHCHECK is ignored there.
ENTRYPOINT ["/usr/local/bin/taskpod"]
CMD ["controller", "--in-cluster", "--config", "/etc/taskpod/taskpod.yaml"]
