# Airflow with the Tributary DAGs and Python package baked in, dependencies from the project's lock.
#   docker build -f docker/airflow.Dockerfile -t tributary/airflow:dev .
FROM apache/airflow:3.2.2-python3.11
COPY --chown=airflow:root requirements.lock /opt/tributary/requirements.lock
# The lock pins apache-airflow itself to the image's version, so this only adds what is missing.
RUN pip install --no-cache-dir --require-hashes -r /opt/tributary/requirements.lock
COPY --chown=airflow:root dags/ /opt/airflow/dags/
COPY --chown=airflow:root config/ /opt/tributary/config/
COPY --chown=airflow:root expectations/ /opt/tributary/expectations/
# The plugins folder is the one inside the DAGs (the warehouse timetable), as in scripts/airflow_env.sh.
ENV TRIBUTARY_CONFIG=/opt/tributary/config/migration.yaml \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/airflow/dags/tributary/plugins \
    TRIBUTARY_LAUNCHER=kubernetes
