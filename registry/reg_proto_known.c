/* SPDX-License-Identifier: Apache-2.0
 * reg_proto_known: the files Confluent's ProtobufSchema resolves without a
 * reference (KNOWN_DEPENDENCIES): google/protobuf/ *.proto (the installed
 * texts, embedded by the Makefile), confluent/meta.proto,
 * confluent/type/{decimal,variant}.proto and google/type/ *.proto. Only what
 * name resolution and option merging need is written out for the last
 * three groups: packages, type names, and the fields that options use.
 * Parsed once, on first use; immutable afterwards.
 * Thread: any (pthread_once). */
#include "registry/reg_proto_int.h"

#include "common/fy_alloc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static const struct reg_proto_known others[] = {
    {"confluent/meta.proto",
     "syntax = \"proto3\";\npackage confluent;\nimport \"google/protobuf/descriptor.proto\";\n"
     "message Meta { string doc = 1; map<string, string> params = 2; repeated string tags = 3;"
     " repeated Rule rules = 4; }\n"
     "message Rule { string name = 1; string doc = 2; string expr = 3; string sql = 4; }\n"
     "extend google.protobuf.FileOptions { Meta file_meta = 1088; }\n"
     "extend google.protobuf.MessageOptions { Meta message_meta = 1088; }\n"
     "extend google.protobuf.FieldOptions { Meta field_meta = 1088; }\n"
     "extend google.protobuf.EnumOptions { Meta enum_meta = 1088; }\n"
     "extend google.protobuf.EnumValueOptions { Meta enum_value_meta = 1088; }\n"},
    {"confluent/type/decimal.proto",
     "syntax = \"proto3\";\npackage confluent.type;\n"
     "message Decimal { bytes value = 1; uint32 precision = 2; int32 scale = 3; }\n"},
    {"confluent/type/variant.proto",
     "syntax = \"proto3\";\npackage confluent.type;\n"
     "message Variant { bytes metadata = 1; bytes value = 2; }\n"},
    {"google/type/calendar_period.proto",
     "syntax = \"proto3\";\npackage google.type;\nenum CalendarPeriod { CALENDAR_PERIOD_UNSPECIFIED = 0; }\n"},
    {"google/type/color.proto", "syntax = \"proto3\";\npackage google.type;\nmessage Color {}\n"},
    {"google/type/date.proto", "syntax = \"proto3\";\npackage google.type;\nmessage Date {}\n"},
    {"google/type/datetime.proto",
     "syntax = \"proto3\";\npackage google.type;\nmessage DateTime {}\nmessage TimeZone {}\n"},
    {"google/type/dayofweek.proto",
     "syntax = \"proto3\";\npackage google.type;\nenum DayOfWeek { DAY_OF_WEEK_UNSPECIFIED = 0; }\n"},
    {"google/type/decimal.proto", "syntax = \"proto3\";\npackage google.type;\nmessage Decimal {}\n"},
    {"google/type/expr.proto", "syntax = \"proto3\";\npackage google.type;\nmessage Expr {}\n"},
    {"google/type/fraction.proto", "syntax = \"proto3\";\npackage google.type;\nmessage Fraction {}\n"},
    {"google/type/interval.proto", "syntax = \"proto3\";\npackage google.type;\nmessage Interval {}\n"},
    {"google/type/latlng.proto", "syntax = \"proto3\";\npackage google.type;\nmessage LatLng {}\n"},
    {"google/type/money.proto", "syntax = \"proto3\";\npackage google.type;\nmessage Money {}\n"},
    {"google/type/month.proto",
     "syntax = \"proto3\";\npackage google.type;\nenum Month { MONTH_UNSPECIFIED = 0; }\n"},
    {"google/type/phone_number.proto",
     "syntax = \"proto3\";\npackage google.type;\nmessage PhoneNumber { message ShortCode {} }\n"},
    {"google/type/postal_address.proto",
     "syntax = \"proto3\";\npackage google.type;\nmessage PostalAddress {}\n"},
    {"google/type/quaternion.proto", "syntax = \"proto3\";\npackage google.type;\nmessage Quaternion {}\n"},
    {"google/type/timeofday.proto", "syntax = \"proto3\";\npackage google.type;\nmessage TimeOfDay {}\n"},
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct reg_proto_dep *known;
static size_t n_known;
static struct reg_proto_file **models;

static void add(const struct reg_proto_known *k)
{
    struct reg_proto_file *f = NULL;
    struct fy_err err = {0};
    if (reg_proto_parse(k->text, strlen(k->text), NULL, &f, &err) != 0) {
        /* a broken build input, not client data */
        fprintf(stderr, "reg_proto_known: %s does not parse: %s\n", k->name, err.msg);
        abort();
    }
    models[n_known] = f;
    known[n_known].name = k->name;
    known[n_known].file = f;
    n_known++;
}

static void release(void)
{
    for (size_t i = 0; i < n_known; i++)
        reg_proto_file_free(models[i]);
    free(models);
    free(known);
}

static void load(void)
{
    size_t cap = reg_proto_wkt_n + sizeof others / sizeof *others;
    known = fy_calloc(cap, sizeof *known);
    models = fy_calloc(cap, sizeof *models);
    for (size_t i = 0; i < reg_proto_wkt_n; i++)
        add(&reg_proto_wkt[i]);
    for (size_t i = 0; i < sizeof others / sizeof *others; i++)
        add(&others[i]);
    atexit(release); /* so leak checkers see a clean exit */
}

const struct reg_proto_dep *reg_proto_known_deps(size_t *n)
{
    pthread_once(&once, load);
    *n = n_known;
    return known;
}
