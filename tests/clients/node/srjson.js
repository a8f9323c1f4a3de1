// SPDX-License-Identifier: Apache-2.0
// srjson: @confluentinc/schemaregistry's JsonSerializer / JsonDeserializer against a
// running ferry. Usage: node srjson.js <base-url> <topic>. Registers an Address schema
// under <topic>-address and an Order schema under <topic>-value whose "$ref" names
// address.json through the references array, then serializes with the latest version
// (validation on: the serializer resolves the reference through ferry), reads it back
// with a fresh client (the writer's schema and its reference fetched from ferry by id),
// and checks that an order breaking the referenced schema is refused. Prints "ok" and
// exits 0, or the failure.
'use strict';
const assert = require('node:assert/strict');
const { SchemaRegistryClient } = require('@confluentinc/schemaregistry/dist/schemaregistry-client');
const { JsonSerializer, JsonDeserializer } = require('@confluentinc/schemaregistry/dist/serde/json');
const { SerdeType } = require('@confluentinc/schemaregistry/dist/serde/serde');

const ADDRESS = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'address.json',
  title: 'Address',
  type: 'object',
  properties: { street: { type: 'string' }, city: { type: 'string' } },
  required: ['street'],
};
const ORDER = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Order',
  type: 'object',
  properties: {
    id: { type: 'string' },
    qty: { type: 'integer', minimum: 1 },
    shipTo: { $ref: 'address.json' },
  },
  required: ['id', 'qty', 'shipTo'],
};

async function main() {
  const [url, topic] = process.argv.slice(2);
  const client = new SchemaRegistryClient({ baseURLs: [url], maxRetries: 0 });
  await client.register(`${topic}-address`,
                        { schemaType: 'JSON', schema: JSON.stringify(ADDRESS) }, false);
  const orderId = await client.register(`${topic}-value`, {
    schemaType: 'JSON', schema: JSON.stringify(ORDER),
    references: [{ name: 'address.json', subject: `${topic}-address`, version: 1 }],
  }, false);
  const ser = new JsonSerializer(client, SerdeType.VALUE,
                                 { autoRegisterSchemas: false, useLatestVersion: true,
                                   validate: true });
  const msg = { id: 'o-1', qty: 2, shipTo: { street: 'Main St', city: 'Oslo' } };
  const bytes = await ser.serialize(topic, msg);
  assert.equal(bytes[0], 0, 'magic byte');
  assert.equal(bytes.readInt32BE(1), orderId, 'the registered id in the frame');
  // a fresh client: the writer's schema and its reference come from ferry, not a cache
  const reader = new SchemaRegistryClient({ baseURLs: [url], maxRetries: 0 });
  const de = new JsonDeserializer(reader, SerdeType.VALUE, { validate: true });
  assert.deepEqual(await de.deserialize(topic, bytes), msg);
  // the referenced schema is enforced: shipTo without its required street is refused
  await assert.rejects(ser.serialize(topic, { id: 'o-2', qty: 1, shipTo: { city: 'Oslo' } }));
  console.log('ok');
}

main().catch((e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
