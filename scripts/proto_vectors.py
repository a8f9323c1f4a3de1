#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Builds tests/unit/registry/data/proto_vectors.jsonl, the Protobuf printer
# vectors of check_reg_proto, from Confluent's own tests: it reads
# ProtobufSchemaTest.java from a schema-registry git checkout (bare is fine),
# follows each test method's string variables (Java literals joined by +),
# and keeps every assertion of the shapes
#   assertEquals(E, S.canonicalString())           -> "canonical"
#   assertEquals(E, S.normalize().canonicalString()) / N = S.normalize() ...
#                                                   -> "normalized"
#   assertEquals(E, new ProtobufSchema(S.toDescriptor()).canonicalString())
#                                                   -> "descriptor"
# where S = new ProtobufSchema(<string>) (no references). Each line is
# {"source": "ProtobufSchemaTest.java:<line> <method>", "in": ..., one of the
# three keys}. Also: every schema text of diff-schema-examples.json and of
# the .proto test resources as {"source", "in"} with no expectation (the
# check asserts they parse and that canonical text is a fixed point).
# Usage: scripts/proto_vectors.py /work/.mirror/confluentinc+schema-registry/repo
import json
import re
import subprocess
import sys

repo = sys.argv[1] if len(sys.argv) > 1 else "/work/.mirror/confluentinc+schema-registry/repo"
base = "protobuf-provider/src/test"
out_path = "tests/unit/registry/data/proto_vectors.jsonl"


def show(path):
    return subprocess.run(["git", "-C", repo, "show", "HEAD:" + path], check=True,
                          capture_output=True, text=True).stdout


def java_unescape(s):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            n = s[i + 1]
            i += 2
            if n == "u":
                while s[i] == "u":
                    i += 1
                out.append(chr(int(s[i:i + 4], 16)))
                i += 4
            elif n in "01234567":
                j = i - 1
                k = j
                while k < len(s) and k < j + 3 and s[k] in "01234567":
                    k += 1
                out.append(chr(int(s[j:k], 8)))
                i = k
            else:
                out.append({"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "s": " ",
                            "0": "\0"}.get(n, n))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def statements(src):
    """(line, depth, text with string literals as \x00N\x00, literals)"""
    lits, cur, res = [], [], []
    depth, i, line, start_line = 0, 0, 1, 1
    while i < len(src):
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            i = j if j >= 0 else len(src)
            continue
        if src.startswith("/*", i):
            j = src.find("*/", i)
            line += src.count("\n", i, j)
            i = j + 2
            continue
        if src.startswith('"""', i):  # text block
            j = src.find('"""', i + 3)
            body = src[i + 3:j]
            body = body[body.find("\n") + 1:]
            lines = body.split("\n")
            ind = min((len(l) - len(l.lstrip()) for l in lines if l.strip()), default=0)
            lits.append(java_unescape("\n".join(l[ind:] for l in lines)))
            cur.append("\x00%d\x00" % (len(lits) - 1))
            line += src.count("\n", i, j)
            i = j + 3
            continue
        if c == '"':
            j = i + 1
            while src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            lits.append(java_unescape(src[i + 1:j]))
            cur.append("\x00%d\x00" % (len(lits) - 1))
            i = j + 1
            continue
        if c == "'":
            j = i + 1
            while src[j] != "'":
                j += 2 if src[j] == "\\" else 1
            cur.append("'c'")
            i = j + 1
            continue
        if c == "\n":
            line += 1
        if c in ";{}":
            text = "".join(cur).strip()
            if text:
                res.append((start_line, depth, text, lits))
            cur = []
            start_line = line
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            i += 1
            continue
        if not "".join(cur).strip():
            start_line = line
        cur.append(c)
        i += 1
    return res


def evaluate(expr, lits, env):
    parts = [p.strip() for p in re.split(r"\+(?![^()]*\))", expr)]
    vals = []
    for p in parts:
        p = p.strip()
        while p.startswith("(") and p.endswith(")"):
            p = p[1:-1].strip()
        m = re.fullmatch(r"\x00(\d+)\x00", p)
        if m:
            vals.append(lits[int(m.group(1))])
        elif re.fullmatch(r"[A-Za-z_]\w*", p) and isinstance(env.get(p), str):
            vals.append(env[p])
        else:
            return None
    return "".join(vals)


def main():
    src = show(base + "/java/io/confluent/kafka/schemaregistry/protobuf/ProtobufSchemaTest.java")
    stmts = statements(src)
    static_env, env, schemas, norms, canon_alias = {}, {}, {}, {}, {}
    static_schemas, descs = {}, {}
    method = "?"
    vectors = []
    seen = set()

    def add(kind, line, sv, expected):
        text = schemas.get(sv)
        if text is None or expected is None:
            return
        key = (kind, text, expected)
        if key in seen:
            return
        seen.add(key)
        vectors.append({"source": "ProtobufSchemaTest.java:%d %s" % (line, method),
                        "in": text, kind: expected})

    for line, depth, text, lits in stmts:
        t = re.sub(r"\s+", " ", text)
        m = re.match(r"(?:@\w+ )*public void (\w+)\(", t)
        if m:
            method = m.group(1)
            env = dict(static_env)
            schemas, norms, canon_alias, descs = dict(static_schemas), {}, {}, {}
            continue
        target = static_env if depth == 1 else env
        m = re.fullmatch(r"(?:(?:private|public|protected|static|final) )*String (\w+) = (.*)", t)
        if m:
            v = evaluate(m.group(2), lits, target)
            if v is not None:
                target[m.group(1)] = v
                env[m.group(1)] = v
                continue
            m2 = re.fullmatch(r"(\w+)\.canonicalString\(\)", m.group(2).strip())
            if m2:
                canon_alias[m.group(1)] = ("canonical", m2.group(1))
            m2 = re.fullmatch(r"(\w+)\.normalize\(\)\.canonicalString\(\)", m.group(2).strip())
            if m2:
                canon_alias[m.group(1)] = ("normalized", m2.group(1))
            continue
        m = re.fullmatch(r"(\w+) = (.*)", t)
        if m and m.group(1) in env and isinstance(env[m.group(1)], str):
            v = evaluate(m.group(2), lits, env)
            if v is not None:
                env[m.group(1)] = v
            continue
        m = re.fullmatch(r"(?:(?:private|static|final) )*(?:ProtobufSchema |ParsedSchema )?(\w+) ?= ?"
                         r"new ProtobufSchema\(([^(),]+)\)", t)
        if m:
            v = evaluate(m.group(2), lits, env)
            schemas[m.group(1)] = v
            if depth == 1:
                static_schemas[m.group(1)] = v
            norms.pop(m.group(1), None)
            descs.pop(m.group(1), None)
            continue
        m = re.fullmatch(r"(?:ProtobufSchema )?(\w+) = new ProtobufSchema\((\w+)\.toDescriptor\(\)\)", t)
        if m:
            descs[m.group(1)] = m.group(2)
            continue
        m = re.fullmatch(r"(?:ProtobufSchema |ParsedSchema )?(\w+) = new ProtobufSchema\(.*", t)
        if m:  # any other construction: forget what the name meant
            schemas.pop(m.group(1), None)
            norms.pop(m.group(1), None)
            descs.pop(m.group(1), None)
            continue
        m = re.fullmatch(r"(?:ProtobufSchema )?(\w+) = (\w+)\.normalize\(\)", t)
        if m:
            norms[m.group(1)] = m.group(2)
            continue
        m = re.fullmatch(r"assertEquals\((.*), (.*)\)", t)
        if not m:
            continue
        exp = evaluate(m.group(1), lits, env)
        rhs = m.group(2).strip()
        m2 = re.fullmatch(r"(\w+)\.canonicalString\(\)", rhs)
        if m2:
            sv = m2.group(1)
            if sv in descs:
                add("descriptor", line, descs[sv], exp)
            elif sv in norms:
                if norms[sv] in schemas:
                    add("normalized", line, norms[sv], exp)
            else:
                add("canonical", line, sv, exp)
            continue
        m2 = re.fullmatch(r"(\w+)\.normalize\(\)\.canonicalString\(\)", rhs)
        if m2:
            add("normalized", line, m2.group(1), exp)
            continue
        m2 = re.fullmatch(r"new ProtobufSchema\((\w+)\.toDescriptor\(\)\)\.canonicalString\(\)", rhs)
        if m2:
            add("descriptor", line, m2.group(1), exp)
            continue
        if rhs in canon_alias:
            kind, sv = canon_alias[rhs]
            add(kind, line, sv, exp)

    n_expect = len(vectors)
    ex = json.loads(show(base + "/resources/diff-schema-examples.json"))
    for i, case in enumerate(ex):
        for k in ("original_schema", "update_schema"):
            if isinstance(case.get(k), str):
                vectors.append({"source": "diff-schema-examples.json[%d].%s %s" %
                                (i, k, case.get("description", "")), "in": case[k]})
    files = subprocess.run(["git", "-C", repo, "ls-tree", "-r", "--name-only", "HEAD"],
                           check=True, capture_output=True, text=True).stdout.split()
    for f in files:
        if f.endswith(".proto") and "/src/" in f:
            vectors.append({"source": f, "in": show(f)})
    with open(out_path, "w") as fh:
        for v in vectors:
            fh.write(json.dumps(v, ensure_ascii=False) + "\n")
    print("%d vectors with an expected text, %d parse-only, written to %s" %
          (n_expect, len(vectors) - n_expect, out_path))


main()
