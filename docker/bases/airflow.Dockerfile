# Stand-in for apache/airflow:<version>-python3.11, made from Debian packages only (scripts/images.sh). It keeps
# what docker/airflow.Dockerfile relies on in the public image: a user `airflow` (uid 50000, group root),
# AIRFLOW_HOME=/opt/airflow, and a `pip` that installs into the environment `airflow` runs from. Airflow itself
# then comes from the project's lock, with hashes, like every other dependency.
ARG DEBIAN_IMAGE=tributary/debian:bookworm
FROM ${DEBIAN_IMAGE}
COPY ./ /usr/local/share/ca-certificates/
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates python3 python3-venv \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 50000 --gid 0 --create-home airflow \
    && mkdir -p /opt/airflow && chown airflow:root /opt/airflow \
    && python3 -m venv /home/airflow/venv && chown -R airflow:root /home/airflow/venv
ENV PATH=/home/airflow/venv/bin:$PATH \
    AIRFLOW_HOME=/opt/airflow \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt
USER airflow
WORKDIR /opt/airflow
