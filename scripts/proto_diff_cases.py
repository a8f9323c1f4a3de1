#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Builds tests/unit/registry/data/proto_diff_cases.jsonl, the Protobuf
# compatibility table of check_reg_proto_diff, from Confluent's own tests:
# every case of protobuf-provider/src/test/resources/diff-schema-examples.json
# and diff-schema-examples-with-meta.json (SchemaDiffTest.
# checkProtobufSchemaCompatibility: the exact list of "TYPE #/path" changes of
# SchemaDiff.compare(original, update), in order, and the verdict), plus
# SchemaDiffTest.checkCompatibilityUsingProtoFiles (TestProto.proto ->
# TestProto2.proto, two changes it must contain) and ProtobufSchemaTest.
# testFileDescriptorProto (descriptor round trips, {"roundtrip": text}). Dependencies given by name
# only are read from the test resources or protobuf-types' protos, or, for
# google/protobuf/*, marked "known" (the installed file ferry embeds).
# Each line: {"source", "description", "original": {"schema", "deps":
# [{"name", "text"|"known"}], "refs": [{"name", "subject", "version"}]},
# "update": {...}, "changes": [...], "contains": bool, "compatible": bool|null}.
# Usage: scripts/proto_diff_cases.py [/work/.mirror/confluentinc+schema-registry/repo]
import json
import subprocess
import sys

repo = sys.argv[1] if len(sys.argv) > 1 else "/work/.mirror/confluentinc+schema-registry/repo"
res = "protobuf-provider/src/test/resources/"
out_path = "tests/unit/registry/data/proto_diff_cases.jsonl"


def show(path):
    r = subprocess.run(["git", "-C", repo, "show", "HEAD:" + path], capture_output=True,
                       text=True)
    return r.stdout if r.returncode == 0 else None


def read_named(name):
    for base in (res, "protobuf-types/src/main/proto/"):
        t = show(base + name)
        if t is not None:
            return {"name": name, "text": t}
    return {"name": name, "known": True}


def side(case, which):
    schema = case[which + "_schema"]
    if schema.endswith(".proto"):
        schema = show(res + schema)
    deps = []
    for d in case.get(which + "_dependencies", []):
        deps.append({"name": d["name"], "text": d["dependency"]} if "dependency" in d
                    else read_named(d["name"]))
    refs = [{"name": r["name"], "subject": r["subject"], "version": r["version"]}
            for r in case.get(which + "_references", [])]
    return {"schema": schema, "deps": deps, "refs": refs}


lines = []
for f in ("diff-schema-examples.json", "diff-schema-examples-with-meta.json"):
    for i, case in enumerate(json.loads(show(res + f))):
        lines.append({"source": f"protobuf-provider/src/test/resources/{f} [{i}]",
                      "description": case["description"],
                      "original": side(case, "original"), "update": side(case, "update"),
                      "changes": case["changes"], "contains": False,
                      "compatible": case["compatible"]})
d = "io/confluent/kafka/schemaregistry/protobuf/diff/"
lines.append({"source": "SchemaDiffTest.checkCompatibilityUsingProtoFiles",
              "description": "TestProto.proto -> TestProto2.proto",
              "original": {"schema": show(res + d + "TestProto.proto"), "deps": [], "refs": []},
              "update": {"schema": show(res + d + "TestProto2.proto"), "deps": [], "refs": []},
              "changes": ["FIELD_NAME_CHANGED #/TestMessage/2",
                          "FIELD_SCALAR_KIND_CHANGED #/TestMessage/2"],
              "contains": True, "compatible": None})
# ProtobufSchemaTest.testFileDescriptorProto: schema -> formattedString("serialized") ->
# schema2 -> serialized -> schema3; schema2 and schema3 are BACKWARD compatible with
# their predecessor and schema2 equals schema3
for f in ("TestProto.proto", "NestedTestProto.proto"):
    lines.append({"source": f"ProtobufSchemaTest.testFileDescriptorProto ({f})",
                  "description": "descriptor round trip", "roundtrip": show(res + d + f)})
with open(out_path, "w") as out:
    for line in lines:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
print(f"{out_path}: {len(lines)} cases")
