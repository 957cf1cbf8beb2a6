# Stand-in for maven:3.9-eclipse-temurin-17 (the worker's build stage), made from Debian packages only, for
# machines that reach no container registry (CI here: scripts/images.sh). Context: the host's extra CA
# certificates, so Maven trusts what the host trusts (e.g. a TLS-inspecting proxy in front of Maven Central).
ARG DEBIAN_IMAGE=tributary/debian:bookworm
FROM ${DEBIAN_IMAGE}
COPY ./ /usr/local/share/ca-certificates/
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates openjdk-17-jdk-headless maven \
    && rm -rf /var/lib/apt/lists/*
