// SPDX-License-Identifier: Apache-2.0
// srclient: @confluentinc/schemaregistry's client and Avro serde against a
// running ferry. Usage: node srclient.js <base-url> <subject-stem>. Registers,
// fetches, serializes and deserializes in the default context, in a named
// context by qualified subject, and in another through a /contexts/.ctx base
// URL; the 8.x guid of each registration is found again by getByGuid. Prints "ok" and exits 0, or the first failure and exits 1.
'use strict';
const assert = require('node:assert/strict');
// the modules themselves, not the index (which loads every KMS driver: seconds)
const { SchemaRegistryClient } = require('@confluentinc/schemaregistry/dist/schemaregistry-client');
const { AvroSerializer, AvroDeserializer } = require('@confluentinc/schemaregistry/dist/serde/avro');
const { SerdeType } = require('@confluentinc/schemaregistry/dist/serde/serde');

const ORDER = JSON.stringify({
  type: 'record', name: 'Order', namespace: 'ferry.node',
  fields: [{ name: 'id', type: 'long' }, { name: 'owner', type: 'string' }],
});

function client(url) {
  return new SchemaRegistryClient({ baseURLs: [url], maxRetries: 0 });
}

async function registerAndFetch(url, subject) {
  const c = client(url);
  const info = { schemaType: 'AVRO', schema: ORDER };
  const full = await c.registerFullResponse(subject, info, false);
  assert.ok(full.id > 0 && full.version === 1, `register ${subject}: ${JSON.stringify(full)}`);
  // 8.x's guid: in the register answer and found again through /schemas/guids
  assert.equal(typeof full.guid, 'string', `no guid: ${JSON.stringify(full)}`);
  assert.equal(full.guid.length, 36);
  const byGuid = await client(url).getByGuid(full.guid);
  assert.equal(byGuid.schema, full.schema, 'schema by guid');
  const id = await client(url).register(subject, info, false);
  assert.equal(id, full.id, 'idempotent register');
  const latest = await c.getLatestSchemaMetadata(subject);
  assert.equal(latest.id, id);
  assert.equal(latest.version, 1);
  assert.equal(latest.guid, full.guid, 'latest guid');
  const byId = await c.getBySubjectAndId(subject, id);
  assert.equal(byId.schema, latest.schema);
  const looked = await client(url).getId(subject, info, false);
  assert.equal(looked, id, 'lookup');
  assert.deepEqual(await c.getAllVersions(subject), [1]);
  return id;
}

async function roundTrip(c, topic, wantId) {
  const ser = new AvroSerializer(c, SerdeType.VALUE, { useLatestVersion: true });
  const msg = { id: 42, owner: 'node' };
  const payload = await ser.serialize(topic, msg);
  assert.equal(payload[0], 0, 'magic byte');
  assert.equal(payload.readUInt32BE(1), wantId, 'schema id in the payload');
  const des = new AvroDeserializer(c, SerdeType.VALUE, {});
  const out = await des.deserialize(topic, payload);
  assert.equal(out.owner, 'node');
  assert.equal(Number(out.id), 42);
}

async function main() {
  const [base, stem] = process.argv.slice(2);
  if (!base || !stem) {
    console.log('usage: node srclient.js <base-url> <subject-stem>');
    process.exit(2);
  }
  const c = client(base);
  const id = await registerAndFetch(base, `${stem}-value`);
  await roundTrip(c, stem, id);
  const qid = await registerAndFetch(base, `:.nodectx:${stem}-value`);
  await roundTrip(c, `:.nodectx:${stem}`, qid);
  const cc = client(`${base}/contexts/.nodectx2`);
  const bid = await registerAndFetch(`${base}/contexts/.nodectx2`, `${stem}-b-value`);
  await roundTrip(cc, `${stem}-b`, bid);
  const subjects = await c.getAllSubjects();
  assert.ok(subjects.includes(`:.nodectx2:${stem}-b-value`), `subjects: ${subjects}`);
  console.log('ok');
}

main().catch((e) => {
  console.log(`FAIL: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
