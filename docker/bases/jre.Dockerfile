# Stand-in for eclipse-temurin:17-jre (the worker's runtime), made from Debian packages only (scripts/images.sh).
ARG DEBIAN_IMAGE=tributary/debian:bookworm
FROM ${DEBIAN_IMAGE}
COPY ./ /usr/local/share/ca-certificates/
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates openjdk-17-jre-headless \
    && rm -rf /var/lib/apt/lists/*
