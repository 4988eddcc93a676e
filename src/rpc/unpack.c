/* Unpacking what a peer sent, with one copy of its bytes.
 *
 * The bytes lie in shared memory the peer can still write, and protobuf-c reads
 * its input twice: a first pass measures every field and sizes the arrays, a
 * second pass fills them in, reading the bytes again. A packed repeated varint
 * field whose bytes change in between yields more elements than the first pass
 * counted and overflows its array. So protobuf-c never reads shared memory: the
 * message is copied into private memory once, and only that copy is parsed.
 *
 * protobuf-c then copies every bytes field again, into memory of its own: for a
 * 1 MiB blob a second pass over the whole payload. To spare it, a large bytes
 * field at the top level stays where it is in the private copy: protobuf-c
 * parses a skeleton of the message in which that field is empty, and the field
 * is then pointed at its bytes in the copy. The copy is therefore allocated in
 * the arena the message lives in. The scan that finds such fields reads the
 * private copy, never shared memory, and follows protobuf-c's own first pass
 * (tags, wire types, lengths) to the letter; whatever it does not understand it
 * leaves to protobuf-c, which then parses the whole copy as before.
 */
#include <limits.h>
#include <string.h>

#include "rpc/rpc-internal.h"

/* Smaller messages are copied and unpacked as they are: their bytes fields are
 * small, and the scan would cost about what it saves. */
#define LIFT_MSG_MIN 16384u
/* A bytes field of this many bytes or more stays in the copy. */
#define LIFT_FIELD_MIN 4096u
/* At most this many fields per message do; the others are copied as usual. */
#define LIFT_MAX 8

enum { WIRE_VARINT = 0, WIRE_64BIT = 1, WIRE_LENGTH_PREFIXED = 2, WIRE_32BIT = 5 };

/* A bytes field left in the copy. */
struct lift {
        const ProtobufCFieldDescriptor *field;
        size_t tag_end; /* the skeleton keeps buf up to here, then a zero length */
        size_t data;    /* where the field's bytes start in buf */
        size_t len;
        int live; /* 0: a later occurrence of the field replaces this one */
};

/* scan_tag: protobuf-c's parse_tag_and_wiretype, step by step, so that the
 * same bytes name the same field here as in protobuf-c. The tag's length, or 0
 * when protobuf-c would refuse it. */
static size_t scan_tag(const uint8_t *p, size_t rem, uint32_t *ret_tag, unsigned *ret_wire)
{
        size_t max = rem > 5 ? 5 : rem;
        uint32_t tag = (uint32_t)(p[0] & 0x7f) >> 3;
        unsigned shift = 4;
        if ((p[0] & 0xf8) == 0) {
                return 0;
        }
        *ret_wire = p[0] & 7u;
        if ((p[0] & 0x80) == 0) {
                *ret_tag = tag;
                return 1;
        }
        for (size_t i = 1; i < max; i++) {
                if (p[i] & 0x80) {
                        tag |= (uint32_t)(p[i] & 0x7f) << shift;
                        shift += 7;
                } else {
                        tag |= (uint32_t)p[i] << shift;
                        *ret_tag = tag;
                        return i + 1;
                }
        }
        return 0;
}

/* scan_value: the length of the value after a tag of wire type wire, as
 * protobuf-c's first pass measures it (*ret_pref: the length prefix's share),
 * or 0 when protobuf-c would refuse it. */
static size_t scan_value(const uint8_t *p, size_t rem, unsigned wire, size_t *ret_pref)
{
        *ret_pref = 0;
        switch (wire) {
        case WIRE_VARINT: {
                size_t max = rem < 10 ? rem : 10;
                for (size_t i = 0; i < max; i++) {
                        if ((p[i] & 0x80) == 0) {
                                return i + 1;
                        }
                }
                return 0;
        }
        case WIRE_64BIT:
                return rem < 8 ? 0 : 8;
        case WIRE_32BIT:
                return rem < 4 ? 0 : 4;
        case WIRE_LENGTH_PREFIXED: {
                size_t max = rem < 5 ? rem : 5, val = 0;
                for (size_t i = 0; i < max; i++) {
                        val |= (size_t)(p[i] & 0x7f) << (7 * i);
                        if ((p[i] & 0x80) == 0) {
                                if (val > INT_MAX || i + 1 + val > rem) {
                                        return 0;
                                }
                                *ret_pref = i + 1;
                                return i + 1 + val;
                        }
                }
                return 0;
        }
        default:
                return 0; /* groups: protobuf-c supports none */
        }
}

/* plan: find the bytes fields of buf to leave in place, into lift[]. Returns
 * how many (0: none, or a message protobuf-c will judge by itself) and the
 * skeleton's length in *ret_skel_len. */
static int plan(const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len,
                struct lift *lift, size_t *ret_skel_len)
{
        size_t at = 0, cut = 0;
        int n = 0;
        while (at < len) {
                uint32_t tag;
                unsigned wire;
                size_t pref;
                size_t t = scan_tag(buf + at, len - at, &tag, &wire);
                size_t v = t ? scan_value(buf + at + t, len - at - t, wire, &pref) : 0;
                if (!v) {
                        return 0;
                }
                const ProtobufCFieldDescriptor *f =
                    protobuf_c_message_descriptor_get_field(desc, tag);
                if (f && f->type == PROTOBUF_C_TYPE_BYTES &&
                    f->label != PROTOBUF_C_LABEL_REPEATED) {
                        /* a field given twice keeps its last value, as in protobuf-c */
                        for (int i = 0; i < n; i++) {
                                lift[i].live = lift[i].live && lift[i].field != f;
                        }
                        if (wire == WIRE_LENGTH_PREFIXED && v - pref >= LIFT_FIELD_MIN &&
                            n < LIFT_MAX) {
                                lift[n++] = (struct lift){.field = f,
                                                          .tag_end = at + t,
                                                          .data = at + t + pref,
                                                          .len = v - pref,
                                                          .live = 1};
                                cut += v - 1; /* the value becomes one zero byte */
                        }
                }
                at += t + v;
        }
        *ret_skel_len = len - cut;
        return n;
}

ProtobufCMessage *ward__rpc_unpack_private(const ProtobufCMessageDescriptor *desc, uint8_t *buf,
                                           size_t len, struct ward__arena *scratch,
                                           struct ward__arena *out)
{
        struct lift lift[LIFT_MAX];
        size_t skel_len = 0;
        int n = plan(desc, buf, len, lift, &skel_len);
        uint8_t *skel = n > 0 ? scratch->alloc.alloc(scratch, skel_len) : NULL;
        if (!skel) {
                return protobuf_c_message_unpack(desc, &out->alloc, len, buf);
        }
        size_t from = 0, o = 0;
        for (int i = 0; i < n; i++) {
                memcpy(skel + o, buf + from, lift[i].tag_end - from);
                o += lift[i].tag_end - from;
                skel[o++] = 0; /* an empty value */
                from = lift[i].data + lift[i].len;
        }
        memcpy(skel + o, buf + from, len - from);
        ProtobufCMessage *m = protobuf_c_message_unpack(desc, &out->alloc, skel_len, skel);
        for (int i = 0; m && i < n; i++) {
                const ProtobufCFieldDescriptor *f = lift[i].field;
                uint8_t *base = (uint8_t *)m;
                uint32_t which;
                if (!lift[i].live) {
                        continue;
                }
                if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
                        /* another member of the oneof came later and won */
                        memcpy(&which, base + f->quantifier_offset, sizeof(which));
                        if (which != f->id) {
                                continue;
                        }
                }
                ProtobufCBinaryData bd = {.len = lift[i].len, .data = buf + lift[i].data};
                memcpy(base + f->offset, &bd, sizeof(bd));
        }
        return m;
}

ProtobufCMessage *ward__rpc_unpack(const ProtobufCMessageDescriptor *desc, const ward_ipc_msg *msg,
                                   size_t skip, struct ward__arena *scratch,
                                   struct ward__arena *out)
{
        size_t len = ward_ipc_msg_len(msg);
        const uint8_t *data = ward_ipc_msg_data(msg);
        if (len < skip) {
                return NULL;
        }
        len -= skip;
        /* the message may point into the copy when it lives in an arena */
        struct ward__arena *home = out && len >= LIFT_MSG_MIN ? out : scratch;
        uint8_t *copy = home->alloc.alloc(home, len + 1);
        if (!copy) {
                return NULL;
        }
        memcpy(copy, data + skip, len); /* the one read of the shared bytes */
        if (home == out) {
                return ward__rpc_unpack_private(desc, copy, len, scratch, out);
        }
        return protobuf_c_message_unpack(desc, out ? &out->alloc : NULL, len, copy);
}
