"""Archive settings in migration.yaml: production defaults to aws:kms, the demo says it is unencrypted."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from tributary import config

REPO = Path(__file__).resolve().parents[1]
GOOD = yaml.safe_load((REPO / "config" / "migration.yaml").read_text())


def problems_of(data) -> list[tuple[str, str]]:
    with pytest.raises(config.ConfigError) as err:
        config.validate(data)
    return err.value.problems


def test_omitted_encryption_means_kms_and_needs_a_key_id():
    prod = copy.deepcopy(GOOD)
    del prod["targets"]["archive"]["encryption"]
    [(where, what)] = problems_of(prod)
    assert where == "$.targets.archive" and "kms_key_id" in what
    prod["targets"]["archive"]["kms_key_id"] = "arn:aws:kms:eu-west-1:123456789012:key/abc"
    config.validate(prod)


def test_a_lifecycle_transition_needs_its_days():
    bad = copy.deepcopy(GOOD)
    bad["targets"]["archive"]["transition_storage_class"] = "DEEP_ARCHIVE"
    [(where, what)] = problems_of(bad)
    assert where == "$.targets.archive" and "transition_days" in what


def test_archive_tables_are_instance_schema_table_globs():
    bad = copy.deepcopy(GOOD)
    bad["archive"] = {"tables": ["public.only_two_parts"]}
    [(where, _)] = problems_of(bad)
    assert where == "$.archive.tables[0]"


def test_the_demo_config_says_plainly_that_the_local_archive_is_unencrypted():
    archive = GOOD["targets"]["archive"]
    text = (REPO / "config" / "migration.yaml").read_text()
    assert archive["encryption"] == "none" and "NOT encrypted at rest" in text
