# The worker image: the `tributary` CLI on a JRE. Airflow launches it per table/partition
# (KubernetesPodOperator); connections arrive as TRIBUTARY_CONN_<ID> from Kubernetes Secrets.
#   docker build -f docker/worker.Dockerfile -t tributary/worker:dev .
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY config/migration.schema.json config/
COPY java-workers/pom.xml java-workers/
RUN cd java-workers && mvn -q -B dependency:go-offline
COPY java-workers/src java-workers/src
RUN cd java-workers && mvn -q -B -DskipTests package

FROM eclipse-temurin:17-jre
# `tributary schema --whole` restores a source's own pg_dump with pg_restore: the PostgreSQL client, of the
# sources' major version or newer (the worker checks it and exits 2 otherwise; pg_dump dumps older servers).
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 tributary && mkdir -p /airflow/xcom && chown tributary /airflow/xcom
COPY --from=build /src/java-workers/target/tributary.jar /opt/tributary/tributary.jar
USER tributary
# Container-aware heap: the engine streams, so a modest heap is enough at any table size.
# C1 only + serial GC: a short-lived worker per task spends half the JVM CPU (see bin/tributary).
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError -XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
ENTRYPOINT ["java", "-jar", "/opt/tributary/tributary.jar"]
