/* Looking things up in a reflected description (reflect.proto), for
 * json-to-pb.c (ward_rpc_json_to_pb) and pb-to-json.c (ward_rpc_pb_to_json). */
#ifndef WARD_RPC_JSON_SCHEMA_H
#define WARD_RPC_JSON_SCHEMA_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "reflect.pb-c.h"

typedef Ward__Reflect__Description ward__desc;
typedef Ward__Reflect__Message ward__desc_msg;
typedef Ward__Reflect__Field ward__desc_field;
typedef Ward__Reflect__Enum ward__desc_enum;

/* Protobuf wire types. */
enum { WIRE_VARINT = 0, WIRE_I64 = 1, WIRE_LEN = 2, WIRE_I32 = 5 };

const ward__desc_msg *ward__desc_message(const ward__desc *d, const char *name);
const ward__desc_enum *ward__desc_enum_of(const ward__desc *d, const char *name);

/* ward__desc_field_named: by .proto name or its lowerCamelCase JSON name. */
const ward__desc_field *ward__desc_field_named(const ward__desc_msg *m, const char *key,
                                               size_t key_len);

/* ward__desc_type: the field's type as protobuf-c's enum, or -1 if unknown. */
int ward__desc_type(const ward__desc_field *f);

/* ward__desc_wire_type: the wire type a value of protobuf-c type t has. */
int ward__desc_wire_type(int t);

/* ward__desc_repeated: is f a repeated field? */
int ward__desc_repeated(const ward__desc_field *f);

/* ward__desc_map_entry: the entry type when f is a map field (a repeated
 * message named ...Entry with exactly key = 1 and value = 2), else NULL. */
const ward__desc_msg *ward__desc_map_entry(const ward__desc *d, const ward__desc_field *f);

/* ward__desc_entry_field: field number n (1 key, 2 value) of a map entry. */
const ward__desc_field *ward__desc_field_number(const ward__desc_msg *m, uint32_t n);

#endif
