/* SPDX-License-Identifier: Apache-2.0
 * reg_proto_desc: the model <-> google.protobuf.FileDescriptorProto, through
 * protobuf-c (descriptor.proto compiled by protoc-c at build time).
 * To a descriptor as Confluent's ProtobufSchema.toDynamicSchema builds one
 * for format=serialized; from a descriptor as its toProtoFile(FileDescriptorProto)
 * reads one when a schema is registered as base64 bytes.
 * Thread: any (state is per call). */
#ifndef REG_PROTO_DESC_H
#define REG_PROTO_DESC_H

#include "registry/reg_proto.h"

#include <stddef.h>
#include <stdint.h>

/* The serialized FileDescriptorProto of `file` named `name` (Confluent:
 * "default"): 0 and **new** *out / *len (free()), or -1 with 42201.
 * Types resolve through `deps` and the known files (as in Confluent, an
 * import that resolves to nothing is left out of `dependency`). Known
 * options become descriptor options; custom options and confluent.* meta
 * are not written (see docs/internals/protobuf.md). */
int reg_proto_to_descriptor(const struct reg_proto_file *file, const char *name,
                            const struct reg_proto_dep *deps, size_t n_deps, uint8_t **out,
                            size_t *len, struct fy_err *err);

/* formattedString("serialized"): base64 of the above with name "default".
 * **New** string. */
int reg_proto_serialized(const struct reg_proto_file *file, const struct reg_proto_dep *deps,
                         size_t n_deps, char **out, struct fy_err *err);

/* A serialized FileDescriptorProto as a model (toProtoFile(FileDescriptorProto)):
 * 0 and a **new** *out, or -1 with 42201. Nesting is checked against
 * limits->max_depth before protobuf-c (which recurses) unpacks it. */
int reg_proto_from_descriptor(const uint8_t *buf, size_t len, const struct reg_proto_limits *limits,
                              struct reg_proto_file **out, struct fy_err *err);

/* Confluent's toProtoFile(String): .proto text, or else base64 of a
 * FileDescriptorProto; when both fail, 42201 "Could not parse Protobuf - "
 * and the text parser's message. */
int reg_proto_parse_schema(const char *text, size_t len, const struct reg_proto_limits *limits,
                           struct reg_proto_file **out, struct fy_err *err);

/* Base64 (RFC 4648, padded) of `len` bytes: **new** string. */
char *reg_proto_base64(const uint8_t *buf, size_t len);
/* Java's Base64.getDecoder(): 0 and **new** *out and *len, or -1 on any
 * character outside the alphabet or bad padding. */
int reg_proto_unbase64(const char *s, size_t n, uint8_t **out, size_t *len);

#endif
