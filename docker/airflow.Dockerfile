# Airflow with the Tributary DAGs and Python package baked in, dependencies from the project's lock.
#   docker build -f docker/airflow.Dockerfile -t tributary/airflow:dev .
# The base image is a build argument (default: the public image), so a build without a registry can use
# one made from Debian packages: --build-arg AIRFLOW_IMAGE=...
ARG AIRFLOW_IMAGE=apache/airflow:3.2.2-python3.11
FROM ${AIRFLOW_IMAGE}
COPY --chown=airflow:root requirements.lock /opt/tributary/requirements.lock
# The lock pins apache-airflow itself to the image's version, so this only adds what is missing. It is complete
# (every transitive dependency pinned, with hashes), hence --no-deps: pip's resolver would otherwise ask for
# requirements with extras (e.g. fastapi[standard-no-fastapi-cloud-cli]) that --require-hashes cannot accept.
RUN pip install --no-cache-dir --no-deps --require-hashes -r /opt/tributary/requirements.lock
COPY --chown=airflow:root dags/ /opt/airflow/dags/
COPY --chown=airflow:root config/ /opt/tributary/config/
COPY --chown=airflow:root expectations/ /opt/tributary/expectations/
# TRIBUTARY_HOME is the one variable that tells dags/tributary/paths.py where config/ and expectations/
# are (the DAGs live apart, in Airflow's DAGs folder); the state folder is Airflow's to write.
# The plugins folder is the one inside the DAGs (the warehouse timetable), as in scripts/airflow_env.sh.
ENV TRIBUTARY_HOME=/opt/tributary \
    TRIBUTARY_STATE=/opt/airflow/tributary-state \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/airflow/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/airflow/dags/tributary/plugins \
    TRIBUTARY_LAUNCHER=kubernetes
