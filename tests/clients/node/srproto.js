// SPDX-License-Identifier: Apache-2.0
// srproto: @confluentinc/schemaregistry's ProtobufSerializer / ProtobufDeserializer
// against a running ferry. Usage: node srproto.js <base-url> <topic> <descriptor-set>
// <message type>. The message types come from a FileDescriptorSet made by protoc
// (--include_imports), read into a @bufbuild/protobuf registry: the serializer
// registers each file (base64 FileDescriptorProto, its imports as references, looked
// up with format=serialized) and the deserializer reads the writer's schema back with
// format=serialized, the references' too. Prints "ok" and exits 0, or the failure.
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { createFileRegistry, create, fromBinary, toJson } = require('@bufbuild/protobuf');
const { FileDescriptorSetSchema } = require('@bufbuild/protobuf/wkt');
const { SchemaRegistryClient } = require('@confluentinc/schemaregistry/dist/schemaregistry-client');
const { ProtobufSerializer, ProtobufDeserializer } =
  require('@confluentinc/schemaregistry/dist/serde/protobuf');
const { SerdeType } = require('@confluentinc/schemaregistry/dist/serde/serde');

async function main() {
  const [url, topic, setPath, typeName] = process.argv.slice(2);
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema,
                                                 fs.readFileSync(setPath)));
  const desc = registry.getMessage(typeName);
  assert.ok(desc, `no ${typeName} in the descriptor set`);
  const msg = create(desc, {
    id: 'o-1', lines: [{ sku: 'a', qty: 2 }, { sku: 'b', qty: 3 }], shipTo: { street: 'Main St' },
  });
  const client = new SchemaRegistryClient({ baseURLs: [url], maxRetries: 0 });
  const ser = new ProtobufSerializer(client, SerdeType.VALUE,
                                     { autoRegisterSchemas: true, registry });
  const bytes = await ser.serialize(topic, msg);
  assert.equal(bytes[0], 0, 'magic byte');
  // a fresh client: the writer's schema comes from ferry, not from a cache
  const reader = new SchemaRegistryClient({ baseURLs: [url], maxRetries: 0 });
  const de = new ProtobufDeserializer(reader, SerdeType.VALUE, { registry });
  const back = await de.deserialize(topic, bytes);
  assert.deepEqual(toJson(desc, back), toJson(desc, msg));
  // the nested message: message indexes [0, 0]
  const lineDesc = registry.getMessage(typeName + '.Line');
  const line = create(lineDesc, { sku: 'z', qty: 7 });
  const lbytes = await ser.serialize(topic + '-line', line);
  const lback = await de.deserialize(topic + '-line', lbytes);
  assert.deepEqual(toJson(lineDesc, lback), toJson(lineDesc, line));
  console.log('ok');
}

main().catch((e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
