// SPDX-License-Identifier: Apache-2.0
// srclient: confluent-kafka-go's schemaregistry client and Avro serde against
// a running ferry. Usage: srclient <base-url> <subject-stem>. Registers,
// fetches, serializes and deserializes in the default context, in a named
// context by qualified subject, and in another through a /contexts/.ctx base
// URL; the 8.x guid of each registration is found again by GetByGUID. Prints "ok" and exits 0, or the first failure and exits 1.
package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"reflect"

	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde/avrov2"
)

type Order struct {
	ID    int64  `avro:"id"`
	Owner string `avro:"owner"`
}

// the schema avrov2 derives from Order, so that the serializer's auto-registration
// finds the version registerAndFetch made
const orderSchema = `{"type":"record","name":"Order","fields":` +
	`[{"name":"id","type":"long"},{"name":"owner","type":"string"}]}`

func check(cond bool, format string, args ...interface{}) {
	if !cond {
		fmt.Printf("FAIL: "+format+"\n", args...)
		os.Exit(1)
	}
}

func must(err error, what string) {
	check(err == nil, "%s: %v", what, err)
}

func client(url string) schemaregistry.Client {
	c, err := schemaregistry.NewClient(schemaregistry.NewConfig(url))
	must(err, "NewClient "+url)
	return c
}

// registerAndFetch registers the schema under subject and reads it back every way.
func registerAndFetch(c schemaregistry.Client, subject string) int {
	info := schemaregistry.SchemaInfo{Schema: orderSchema}
	full, err := c.RegisterFullResponse(subject, info, false)
	must(err, "RegisterFullResponse "+subject)
	check(full.ID > 0 && full.Version == 1, "register %s answered %+v", subject, full)
	// 8.x's guid: in the register answer and found again through /schemas/guids
	check(len(full.GUID) == 36, "register %s answered no guid: %+v", subject, full)
	byGUID, err := c.GetByGUID(full.GUID)
	must(err, "GetByGUID "+full.GUID)
	check(byGUID.Schema == full.Schema, "schema by guid %q != %q", byGUID.Schema, full.Schema)
	id, err := c.Register(subject, info, false)
	must(err, "Register again "+subject)
	check(id == full.ID, "idempotent register: %d != %d", id, full.ID)
	latest, err := c.GetLatestSchemaMetadata(subject)
	must(err, "GetLatestSchemaMetadata "+subject)
	check(latest.ID == id && latest.Version == 1, "latest of %s: %+v", subject, latest)
	check(latest.GUID == full.GUID, "latest guid %q != %q", latest.GUID, full.GUID)
	byID, err := c.GetBySubjectAndID(subject, id)
	must(err, "GetBySubjectAndID")
	check(byID.Schema == latest.Schema, "schema by id %q != latest %q", byID.Schema, latest.Schema)
	gotID, err := c.GetID(subject, info, false)
	must(err, "GetID (lookup)")
	check(gotID == id, "lookup id %d != %d", gotID, id)
	versions, err := c.GetAllVersions(subject)
	must(err, "GetAllVersions")
	check(reflect.DeepEqual(versions, []int{1}), "versions of %s: %v", subject, versions)
	return id
}

// roundTrip serializes through subject's topic (TopicNameStrategy: <topic>-value).
func roundTrip(c schemaregistry.Client, topic string, wantID int) {
	sconf := avrov2.NewSerializerConfig()
	sconf.AutoRegisterSchemas = true
	ser, err := avrov2.NewSerializer(c, serde.ValueSerde, sconf)
	must(err, "NewSerializer")
	in := Order{ID: 42, Owner: "go"}
	payload, err := ser.Serialize(topic, &in)
	must(err, "Serialize")
	check(len(payload) > 5 && payload[0] == 0, "wire format: % x", payload)
	id := int(binary.BigEndian.Uint32(payload[1:5]))
	check(wantID <= 0 || id == wantID, "payload id %d, want %d", id, wantID)
	deser, err := avrov2.NewDeserializer(c, serde.ValueSerde, avrov2.NewDeserializerConfig())
	must(err, "NewDeserializer")
	var out Order
	must(deser.DeserializeInto(topic, payload, &out), "DeserializeInto")
	check(out == in, "round trip: %+v != %+v", out, in)
}

func main() {
	if len(os.Args) != 3 {
		fmt.Println("usage: srclient <base-url> <subject-stem>")
		os.Exit(2)
	}
	base, stem := os.Args[1], os.Args[2]
	c := client(base)

	// default context
	id := registerAndFetch(c, stem+"-value")
	roundTrip(c, stem, id)

	// a named context by qualified subject
	qid := registerAndFetch(c, ":.goctx:"+stem+"-value")
	roundTrip(c, ":.goctx:"+stem, qid)

	// another context through the base URL
	cc := client(base + "/contexts/.goctx2")
	registerAndFetch(cc, stem+"-b-value")
	roundTrip(cc, stem+"-b", 0)
	subjects, err := c.GetAllSubjects()
	must(err, "GetAllSubjects")
	found := false
	for _, s := range subjects {
		found = found || s == ":.goctx2:"+stem+"-b-value"
	}
	check(found, "the base-URL context's subject is not listed: %v", subjects)
	contexts, err := c.GetAllContexts()
	must(err, "GetAllContexts")
	check(len(contexts) >= 3 && contexts[0] == ".", "contexts: %v", contexts)
	fmt.Println("ok")
}
