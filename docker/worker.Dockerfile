# The worker image: the `tributary` CLI on a JRE. Airflow launches it per table/partition
# (KubernetesPodOperator); connections arrive as TRIBUTARY_CONN_<ID> from Kubernetes Secrets.
#   docker build -f docker/worker.Dockerfile -t tributary/worker:dev .
# Base images are build arguments (defaults: the public images), so a build without a registry can use
# bases made from Debian packages: --build-arg BUILD_IMAGE=... --build-arg RUNTIME_IMAGE=...
ARG BUILD_IMAGE=maven:3.9-eclipse-temurin-17
ARG RUNTIME_IMAGE=eclipse-temurin:17-jre

FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY config/migration.schema.json config/
COPY java-workers/pom.xml java-workers/
RUN cd java-workers && mvn -q -B dependency:go-offline
COPY java-workers/src java-workers/src
RUN cd java-workers && mvn -q -B -DskipTests package

FROM ${RUNTIME_IMAGE}
# `tributary schema --whole` restores a source's own pg_dump with pg_restore: the PostgreSQL client, of the
# sources' major version or newer (the worker checks it and exits 2 otherwise; pg_dump dumps older servers).
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 tributary && mkdir -p /airflow/xcom && chown tributary /airflow/xcom
# The same launcher as a checkout's (bin/tributary): it finds the jar beside it and turns an out-of-memory
# death into exit 5 with a JSON result (docs/architecture.md), and passes SIGTERM on as the pod's PID 1.
COPY bin/tributary /opt/tributary/bin/tributary
COPY --from=build /src/java-workers/target/tributary.jar /opt/tributary/java-workers/target/tributary.jar
USER tributary
# Container-aware heap: the engine streams, so a modest heap is enough at any table size. No
# -XX:+ExitOnOutOfMemoryError: it exits 3 ("data differs"); the launcher maps out of memory to 5.
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75"
ENTRYPOINT ["/opt/tributary/bin/tributary"]
