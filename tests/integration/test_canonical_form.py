# SPDX-License-Identifier: Apache-2.0
"""The stored/returned `schema` text is Avro-Java Schema.toString() of the parsed schema
(sr-api §5.3): compact JSON, fixed key orders, namespaces only where they change, named types
written once then by name. Ids de-duplicate on this text, so it must match Java byte for byte.
Each case: (input, expected canonical text)."""
import pytest

from conftest import aname, expect_ok

CASES = {
    "record_key_order": (
        '{"fields":[{"type":"int","name":"a"}],"doc":"d","namespace":"n.s","name":"R",'
        '"type":"record"}',
        '{"type":"record","name":"R","namespace":"n.s","doc":"d","fields":[{"name":"a",'
        '"type":"int"}]}'),
    "dotted_name_splits_into_namespace": (
        '{"type":"record","name":"a.b.R","fields":[]}',
        '{"type":"record","name":"R","namespace":"a.b","fields":[]}'),
    "field_key_order": (
        '{"type":"record","name":"R","fields":[{"aliases":["old"],"order":"descending",'
        '"default":1,"doc":"fd","type":"int","name":"a","x-prop":"p"}]}',
        '{"type":"record","name":"R","fields":[{"name":"a","type":"int","doc":"fd","default":1,'
        '"order":"descending","aliases":["old"],"x-prop":"p"}]}'),
    "ascending_order_is_omitted": (
        '{"type":"record","name":"R","fields":[{"name":"a","type":"int","order":"ascending"}]}',
        '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}'),
    "record_props_then_aliases": (
        '{"type":"record","name":"R","aliases":["Old"],"fields":[],"custom":{"k":[1,2]}}',
        '{"type":"record","name":"R","fields":[],"custom":{"k":[1,2]},"aliases":["Old"]}'),
    "enum_key_order": (
        '{"symbols":["A","B"],"default":"A","doc":"e","name":"E","type":"enum","p":1,'
        '"aliases":["E0"]}',
        '{"type":"enum","name":"E","doc":"e","symbols":["A","B"],"default":"A","p":1,'
        '"aliases":["E0"]}'),
    "fixed_key_order": (
        '{"size":16,"name":"F","type":"fixed","namespace":"x","logicalType":"decimal",'
        '"precision":5,"scale":1}',
        '{"type":"fixed","name":"F","namespace":"x","size":16,"logicalType":"decimal",'
        '"precision":5,"scale":1}'),
    "array_and_map_with_props": (
        '{"items":"int","type":"array","p":"q"}',
        '{"type":"array","items":"int","p":"q"}'),
    "map": ('{"values":{"type":"long"},"type":"map"}', '{"type":"map","values":"long"}'),
    "nested_type_object_collapses": (
        '{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"int"}}]}',
        '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}'),
    "inherited_namespace_not_repeated": (
        '{"type":"record","name":"R","namespace":"a","fields":[{"name":"e","type":'
        '{"type":"enum","name":"E","namespace":"a","symbols":["X"]}},{"name":"f","type":"a.E"}]}',
        '{"type":"record","name":"R","namespace":"a","fields":[{"name":"e","type":'
        '{"type":"enum","name":"E","symbols":["X"]}},{"name":"f","type":"E"}]}'),
    "other_namespace_is_written": (
        '{"type":"record","name":"R","namespace":"a","fields":[{"name":"e","type":'
        '{"type":"enum","name":"b.E","symbols":["X"]}},{"name":"f","type":"b.E"}]}',
        '{"type":"record","name":"R","namespace":"a","fields":[{"name":"e","type":'
        '{"type":"enum","name":"E","namespace":"b","symbols":["X"]}},{"name":"f","type":"b.E"}]}'),
    "union_and_null_default": (
        '{"type":"record","name":"R","fields":[{"name":"u","type":[ "null" , {"type":"string"} ],'
        '"default":null}]}',
        '{"type":"record","name":"R","fields":[{"name":"u","type":["null","string"],'
        '"default":null}]}'),
    "defaults_of_complex_types": (
        '{"type":"record","name":"R","fields":[{"name":"m","type":{"type":"map","values":"int"},'
        '"default":{"a":1}},{"name":"l","type":{"type":"array","items":"string"},"default":["x"]},'
        '{"name":"d","type":"double","default":1.5},'
        '{"name":"b","type":"bytes","default":"\\u00ff"}]}',
        '{"type":"record","name":"R","fields":[{"name":"m","type":{"type":"map","values":"int"},'
        '"default":{"a":1}},{"name":"l","type":{"type":"array","items":"string"},"default":["x"]},'
        '{"name":"d","type":"double","default":1.5},{"name":"b","type":"bytes","default":"ÿ"}]}'),
    "escapes_in_doc": (
        '{"type":"record","name":"R","doc":"line\\nquote\\" slash/ tab\\t uni\\u00e9","fields":[]}',
        '{"type":"record","name":"R","doc":"line\\nquote\\" slash/ tab\\t unié","fields":[]}'),
    # Jackson writes other control characters as \u00XX with upper-case hex digits
    "control_char_escape_is_upper_case_hex": (
        '{"type":"record","name":"R","doc":"a\\u001fb\\u0001","fields":[]}',
        '{"type":"record","name":"R","doc":"a\\u001Fb\\u0001","fields":[]}'),
    "primitive_with_prop_keeps_object_form": (
        '{"type":"string","avro.java.string":"String"}',
        '{"type":"string","avro.java.string":"String"}'),
    "top_level_union": ('[ "null", "int" ]', '["null","int"]'),
    "recursive_record": (
        '{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]}]}',
        '{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]}]}'),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_canonical_text(mod_registry, uniq, case):
    given, want = CASES[case]
    s = uniq()
    sid = mod_registry.register_ok(s, given)
    assert expect_ok(mod_registry.version(s, 1))["schema"] == want
    assert expect_ok(mod_registry.get(f"/schemas/ids/{sid}"))["schema"] == want
    # and the canonical text itself is the same identity
    assert mod_registry.register_ok(uniq("again"), want) == sid


def test_semantically_equal_texts_share_one_id(mod_registry, uniq):
    n = aname()
    variants = ['{"type":"record","name":"%s","fields":[{"name":"a","type":"int"}]}' % n,
                '{ "name" : "%s" , "type" : "record" , "fields" : [ { "type" : "int" , '
                '"name" : "a" } ] }' % n,
                '{"type":"record","name":"%s","fields":[{"name":"a","type":{"type":"int"}}]}' % n]
    ids = {mod_registry.register_ok(uniq(str(i)), v) for i, v in enumerate(variants)}
    assert len(ids) == 1
