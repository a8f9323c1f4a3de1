#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fills a fuzz target's corpus dir with seeds from the test vectors (idempotent).
#   tests/fuzz/seeds.sh <target> <corpus-dir>
# fuzz_avro, fuzz_json: every schema of tests/unit/registry/data/*.txt ("in"/"ref" lines)
# fuzz_compat: those schemas paired (reader NUL writer), plus tests/fuzz/seeds/compat
# fuzz_jsonschema: the original and update schemas of jsonschema_diff_cases.jsonl (NUL between)
# fuzz_proto: every .proto text of tests/unit/registry/data/proto_vectors.jsonl
# fuzz_route, fuzz_props: tests/fuzz/seeds/<route|props>
# fuzz_journal: a valid journal written by the target itself (FUZZ_JOURNAL_SEED)
set -euo pipefail
cd "$(dirname "$0")/../.."
t="$1"
dir="$2"
mkdir -p "$dir"
[ -e "$dir/.seeded" ] && exit 0

schemas() {
    sed -n -e 's/^in //p' -e 's/^ref //p' tests/unit/registry/data/*.txt
}

case "$t" in
fuzz_avro|fuzz_json)
    n=0
    while IFS= read -r line; do
        n=$((n + 1))
        printf '%s' "$line" > "$dir/vector-$n"
    done < <(schemas)
    ;;
fuzz_compat)
    n=0
    prev='"int"'
    while IFS= read -r line; do
        n=$((n + 1))
        printf '%s\0%s' "$line" "$prev" > "$dir/pair-$n"
        printf '%s\0%s' "$line" "$line" > "$dir/same-$n"
        prev="$line"
    done < <(schemas)
    cp tests/fuzz/seeds/compat/* "$dir/" 2>/dev/null || true
    ;;
fuzz_proto)
    # every .proto text of tests/unit/registry/data/proto_vectors.jsonl
    python3 -c 'import json, sys
for i, l in enumerate(open("tests/unit/registry/data/proto_vectors.jsonl")):
    open("%s/vector-%d" % (sys.argv[1], i), "w").write(json.loads(l)["in"])' "$dir"
    ;;
fuzz_jsonschema)
    python3 -c 'import json, sys
for i, l in enumerate(open("tests/unit/registry/data/jsonschema_diff_cases.jsonl")):
    c = json.loads(l)
    t = json.dumps(c["original_schema"]) + "\0" + json.dumps(c["update_schema"])
    open("%s/case-%d" % (sys.argv[1], i), "w").write(t)' "$dir"
    ;;
fuzz_route)
    cp tests/fuzz/seeds/route/* "$dir/"
    ;;
fuzz_props)
    cp tests/fuzz/seeds/props/* "$dir/"
    ;;
fuzz_journal)
    FUZZ_JOURNAL_SEED="$dir/journal-valid" build/fuzz/tests/fuzz/fuzz_journal -runs=0 \
        >/dev/null 2>&1 || { echo "seeds: fuzz_journal could not write its seed"; exit 1; }
    ;;
*)
    echo "seeds: unknown target $t"
    exit 2
    ;;
esac
touch "$dir/.seeded"
