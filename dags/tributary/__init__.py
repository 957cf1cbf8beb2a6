"""Tributary's Airflow side: what the thin DAG files in this folder import.

One module per capability: ``config`` (migration.yaml), ``connections`` (Airflow Connection ->
worker URI), ``worker`` (the one worker launcher), ``consolidate`` (phase-2 table selection),
``verify``, ``gate`` (Great Expectations), ``outcome`` (the summary table), ``paths``.
Nothing here touches a database or starts a process at import time.
"""
