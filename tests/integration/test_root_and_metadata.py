# SPDX-License-Identifier: Apache-2.0
"""sr-api §2.1 root and server metadata, §2.2 /schemas/types."""
import re

from conftest import CT_V1, expect_ok, mime


def test_get_root_answers_empty_object(mod_registry):
    r = mod_registry.get("/")
    assert expect_ok(r) == {}
    assert mime(r) == CT_V1


def test_post_root_with_any_json_object_answers_empty_object(mod_registry):
    assert expect_ok(mod_registry.post("/", {})) == {}
    assert expect_ok(mod_registry.post("/", {"anything": [1, 2, {"x": None}]})) == {}


def test_metadata_id_has_scope_with_cluster_ids(mod_registry):
    b = expect_ok(mod_registry.get("/v1/metadata/id"))
    assert set(b) == {"scope"}, b  # "id":"" is dropped by NON_EMPTY
    scope = b["scope"]
    assert scope["path"] == []
    clusters = scope["clusters"]
    assert isinstance(clusters.get("kafka-cluster"), str)
    assert clusters.get("schema-registry-cluster") == "schema-registry"


def test_metadata_version_has_version_and_commit(mod_registry):
    b = expect_ok(mod_registry.get("/v1/metadata/version"))
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", b["version"]), b
    assert isinstance(b["commitId"], str) and b["commitId"], b


def test_schema_types_lists_avro(mod_registry):
    b = expect_ok(mod_registry.get("/schemas/types"))
    assert isinstance(b, list) and "AVRO" in b, b
    assert set(b) <= {"AVRO", "JSON", "PROTOBUF"}, b
    assert len(b) == len(set(b)), b
