# syntax=docker/dockerfile:1
# Build: bundle the sources into minified JavaScript (scripts/bundle.ts: the
# gateway and its data-plane worker) and compile the bundle into one
# self-contained binary with the pinned Deno (deno task compile does both).
#   docker build --build-arg GIT_REVISION="$(git rev-parse --short=12 HEAD)" -t serval-k8s-gateway .
FROM denoland/deno:debian-2.9.6 AS build
WORKDIR /src
COPY deno.json deno.lock ./
COPY std ./std
COPY src ./src
COPY scripts ./scripts
COPY main.ts ./
RUN deno install --frozen --entrypoint main.ts scripts/compile.ts
# .git is not in the build context; the revision comes in as a build argument
# (visible to the compile script as $GIT_REVISION) and is compiled in.
ARG GIT_REVISION=unknown
RUN deno task compile

# Run: distroless with glibc and libgcc (what the Deno runtime links), no shell.
# The V8 heap flags are compiled into the binary (the start task's, see
# README "Heap settings"). A compiled binary cannot set its own allocator's
# environment, so glibc's arena limit (the start task's MALLOC_ARENA_MAX) is
# set in the run stage: without it glibc's heap and per-thread arenas held
# 25-51 MiB at 5,000 routes from run to run, with it 22-31 (README "Heap settings").
FROM gcr.io/distroless/cc-debian12:nonroot
ARG GIT_REVISION=unknown
LABEL org.opencontainers.image.title="serval-k8s-gateway" \
      org.opencontainers.image.description="Kubernetes Gateway API gateway: controller and data plane in one process" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.revision="${GIT_REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /src/dist/serval-k8s-gateway /usr/local/bin/serval-k8s-gateway
ENV MALLOC_ARENA_MAX=2
USER 65532:65532
# Telemetry (/healthz, /readyz, /metrics for kubelet and Prometheus). Data-plane
# ports come from Gateway listeners; the admin API stays on 127.0.0.1:9901.
EXPOSE 9902
ENTRYPOINT ["/usr/local/bin/serval-k8s-gateway"]
CMD ["run"]
