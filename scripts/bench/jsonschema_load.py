#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Scenario 12 (scripts/bench/README.md): a subject with VERSIONS versions of a PROPS-property
JSON object schema (closed content model; version v adds optional property extra_v, so each
step is BACKWARD compatible), level BACKWARD_TRANSITIVE, and the request body of the next
version written to OUT for compat_json.lua. The shapes are those of jsonschema_compat.c.

usage: jsonschema_load.py URL SUBJECT OUT [--props 200] [--versions 50]"""
import argparse
import json
import urllib.request

CT = "application/vnd.schemaregistry.v1+json"


def schema(props: int, v: int) -> dict:
    p = {}
    for i in range(props + v):
        k = i % 6
        if k == 0:
            p[f"field_{i}"] = {"type": "string", "maxLength": 64 + i}
        elif k == 1:
            p[f"field_{i}"] = {"type": "integer", "minimum": 0, "maximum": 1000 + i}
        elif k == 2:
            p[f"field_{i}"] = {"enum": ["A", "B", f"C{i}"]}
        elif k == 3:
            p[f"field_{i}"] = {"type": "array", "items": {"type": "string"}, "maxItems": 10 + i}
        elif k == 4:
            p[f"field_{i}"] = {"type": "object", "properties": {
                "a": {"type": "string"}, "b": {"type": ["null", "number"]}},
                "additionalProperties": False}
        else:
            p[f"field_{i}"] = {"$ref": "#/definitions/Money"}
    return {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
            "title": "Bench", "definitions": {"Money": {
                "type": "object", "properties": {"amount": {"type": "number", "minimum": 0},
                                                 "currency": {"type": "string", "maxLength": 3}},
                "required": ["amount"]}},
            "properties": p, "required": ["field_0", "field_1"], "additionalProperties": False}


def call(url: str, method: str, path: str, body: dict) -> dict:
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method=method,
                                 headers={"Content-Type": CT})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("url")
    ap.add_argument("subject")
    ap.add_argument("out")
    ap.add_argument("--props", type=int, default=200)
    ap.add_argument("--versions", type=int, default=50)
    a = ap.parse_args()
    call(a.url, "PUT", f"/config/{a.subject}", {"compatibility": "BACKWARD_TRANSITIVE"})
    for v in range(a.versions):
        call(a.url, "POST", f"/subjects/{a.subject}/versions",
             {"schemaType": "JSON", "schema": json.dumps(schema(a.props, v))})
    with open(a.out, "w") as f:
        json.dump({"schemaType": "JSON", "schema": json.dumps(schema(a.props, a.versions))}, f)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
