"""S3 over TLS verified like PostgreSQL's: the worker's S3 URI names the CA with ``cafile=`` and the Python side reads
it the same way (boto3's ``verify``), so the local stack's S3Proxy, serving HTTPS with a certificate from the stack's
CA (TRIBUTARY_CONN_S3_TLS), is trusted with that CA and refused with any other (TRIBUTARY_TLS_OTHER_CA)."""

from __future__ import annotations

import os
import re

import pytest
from botocore.exceptions import SSLError

from conftest import _unavailable, s3_client
from tributary import connections


@pytest.fixture
def tls_uri():
    uri, other = os.environ.get("TRIBUTARY_CONN_S3_TLS"), os.environ.get("TRIBUTARY_TLS_OTHER_CA")
    if not (uri and other):
        _unavailable("the local stack's S3 over HTTPS is not in the environment (scripts/stack.sh up writes it)")
    return uri, other


@pytest.mark.stack
def test_boto3_verifies_the_s3_server_against_cafile_and_refuses_another_ca(tls_uri):
    uri, other = tls_uri
    arguments = connections.boto3_s3_arguments(uri)
    assert arguments["endpoint_url"].startswith("https://") and arguments["verify"] == os.environ["TRIBUTARY_TLS_CA"]
    assert isinstance(s3_client(uri).list_buckets()["Buckets"], list)
    with pytest.raises(SSLError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        s3_client(re.sub(r"cafile=[^&]*", f"cafile={other}", uri)).list_buckets()


def test_an_airflow_s3_connection_keeps_the_ca_for_the_worker():
    from airflow.models.connection import Connection

    # The Amazon provider's own form (endpoint_url, verify=<CA bundle>) and the chart's (the worker URI itself).
    aws = Connection(conn_id="s3", conn_type="aws", login="AK", password="SK",
                     extra={"endpoint_url": "https://s3.internal:9000", "region_name": "eu-west-1",
                            "verify": "/etc/tributary-tls/ca.crt"})
    expected = "s3://AK:SK@s3.internal:9000?region=eu-west-1&scheme=https&cafile=%2Fetc%2Ftributary-tls%2Fca.crt"
    assert connections.to_uri(aws) == expected
    chart = Connection(conn_id="s3", uri="s3://AK:SK@s3.internal:9000?region=eu-west-1&scheme=https"
                                         "&cafile=%2Fetc%2Ftributary-tls%2Fca.crt")
    assert connections.to_uri(chart) == expected
    assert connections.boto3_s3_arguments(expected) == {
        "region_name": "eu-west-1", "endpoint_url": "https://s3.internal:9000", "aws_access_key_id": "AK",
        "aws_secret_access_key": "SK", "verify": "/etc/tributary-tls/ca.crt"}
