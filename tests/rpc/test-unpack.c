/* The one-copy unpack (src/rpc/unpack.c): large top-level bytes fields point
 * into the private copy instead of being copied again, and the message is
 * otherwise exactly what protobuf-c makes of the same bytes. Thousands of
 * generated messages (fields repeated, oneof members replacing each other,
 * unknown fields, padded tags and lengths, wrong wire types, truncations and
 * flipped bytes) are decoded both ways: both fail, or both succeed and pack to
 * the same bytes. */
#include "blobs.pb-c.h"
#include "kitchen.pb-c.h"
#include "rpc/rpc-internal.h"
#include "test.h"

struct wbuf {
        uint8_t *p;
        size_t len, cap;
};

static void put(struct wbuf *w, const void *d, size_t n)
{
        if (w->len + n > w->cap) {
                w->cap = (w->len + n) * 2;
                w->p = realloc(w->p, w->cap);
                ASSERT_TRUE(w->p != NULL);
        }
        if (n) {
                memcpy(w->p + w->len, d, n);
        }
        w->len += n;
}

/* put_varint: v in at least min bytes (more than it needs: a padded encoding) */
static void put_varint(struct wbuf *w, uint64_t v, unsigned min)
{
        uint8_t b[10];
        unsigned n = 0;
        while (n < 10 && (v >= 0x80 || n + 1 < min)) {
                b[n++] = (uint8_t)(v | 0x80);
                v >>= 7;
        }
        b[n++] = (uint8_t)v;
        put(w, b, n);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return rng_state;
}

static unsigned pad(void)
{
        return rnd() % 8 == 0 ? 1 + (unsigned)(rnd() % 5) : 1;
}

static void put_tag(struct wbuf *w, uint32_t field, unsigned wire)
{
        put_varint(w, (uint64_t)field << 3 | wire, pad());
}

static void put_ld(struct wbuf *w, uint32_t field, const uint8_t *d, size_t n)
{
        put_tag(w, field, 2);
        put_varint(w, n, pad());
        put(w, d, n);
}

static const size_t sizes[] = {0, 1, 100, 4095, 4096, 4097, 20000, 70000};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static uint8_t payload[70000];

/* some bytes of payload, at a random place: occurrences differ from each other */
static const uint8_t *some_bytes(size_t n)
{
        return payload + rnd() % (sizeof(payload) - n + 1);
}

enum kind { K_BYTES, K_STRING, K_VARINT, K_FIXED32, K_FIXED64, K_PACKED, K_INNER_BLOB, K_INNER_ID };

struct fspec {
        uint32_t num;
        enum kind kind;
};

static const struct fspec blobs_fields[] = {
    {1, K_BYTES},    {2, K_BYTES},      {3, K_BYTES},   {4, K_BYTES},  {5, K_STRING},
    {6, K_BYTES},    {7, K_INNER_BLOB}, {8, K_PACKED},  {9, K_STRING}, {10, K_VARINT},
    {11, K_FIXED32}, {12, K_FIXED64},   {100, K_BYTES},
};

static const struct fspec kitchen_fields[] = {
    {1, K_VARINT},  {14, K_STRING},   {15, K_BYTES},   {18, K_PACKED}, {19, K_STRING},
    {23, K_STRING}, {24, K_INNER_ID}, {26, K_FIXED64}, {7, K_FIXED32}, {99, K_BYTES},
};

static void put_field(struct wbuf *w, const struct fspec *f)
{
        uint8_t tmp[16];
        struct wbuf inner = {0};
        size_t n = sizes[rnd() % NSIZES];
        unsigned kind = rnd() % 32 == 0 ? K_VARINT : f->kind; /* now and then a wrong wire type */
        switch (kind) {
        case K_BYTES:
                put_ld(w, f->num, some_bytes(n), n);
                break;
        case K_STRING:
                memset(tmp, 'a' + (int)(rnd() % 26), sizeof(tmp));
                put_ld(w, f->num, tmp, rnd() % sizeof(tmp));
                break;
        case K_VARINT:
                put_tag(w, f->num, 0);
                put_varint(w, rnd() >> (rnd() % 64), 1);
                break;
        case K_FIXED32:
                put_tag(w, f->num, 5);
                put(w, some_bytes(4), 4);
                break;
        case K_FIXED64:
                put_tag(w, f->num, 1);
                put(w, some_bytes(8), 8);
                break;
        case K_PACKED:
                for (int i = (int)(rnd() % 6); i > 0; i--) {
                        put_varint(&inner, rnd() >> (rnd() % 64), 1);
                }
                put_ld(w, f->num, inner.p, inner.len);
                break;
        case K_INNER_BLOB:
                put_ld(&inner, 1, some_bytes(n), n);
                put_ld(w, f->num, inner.p, inner.len);
                break;
        default: /* K_INNER_ID */
                put_tag(&inner, 1, 0);
                put_varint(&inner, rnd() % 1000, 1);
                put_ld(w, f->num, inner.p, inner.len);
                break;
        }
        free(inner.p);
}

/* make: a message of random fields; the first (blobs' required field) mostly. */
static void make(struct wbuf *w, const struct fspec *fields, size_t nfields)
{
        w->len = 0;
        if (rnd() % 8) {
                put_field(w, &fields[1]);
        }
        for (int i = (int)(rnd() % 8); i > 0; i--) {
                put_field(w, &fields[rnd() % nfields]);
        }
        if (w->len && rnd() % 8 == 0) {
                w->len = rnd() % w->len; /* cut short */
        }
        if (w->len && rnd() % 8 == 0) {
                w->p[rnd() % w->len] ^= (uint8_t)(1u << (rnd() % 8));
        }
}

static int points_into(const ProtobufCBinaryData *bd, const uint8_t *buf, size_t len)
{
        return bd->len && bd->data >= buf && bd->data + bd->len <= buf + len;
}

/* lifted: how many of m's bytes fields point into buf (blobs.Blobs and
 * kitchen.Everything know where theirs are). */
static int lifted(const ProtobufCMessage *m, const uint8_t *buf, size_t len)
{
        if (m->descriptor == &kitchen__everything__descriptor) {
                return points_into(&((const Kitchen__Everything *)m)->f_bytes, buf, len);
        }
        const Blobs__Blobs *b = (const Blobs__Blobs *)m;
        int n = points_into(&b->opt, buf, len) + points_into(&b->req, buf, len);
        if (b->choice_case == BLOBS__BLOBS__CHOICE_X) {
                n += points_into(&b->x, buf, len);
        } else if (b->choice_case == BLOBS__BLOBS__CHOICE_Z) {
                n += points_into(&b->z, buf, len);
        }
        for (size_t i = 0; i < b->n_rep; i++) {
                ASSERT_TRUE(!points_into(&b->rep[i], buf, len)); /* repeated: copied */
        }
        return n;
}

/* same_as_protobuf_c: decode w both ways; returns how many fields pointed
 * into the copy. */
static int same_as_protobuf_c(const ProtobufCMessageDescriptor *desc, const struct wbuf *w,
                              struct ward__arena *scratch, struct ward__arena *out)
{
        ProtobufCMessage *ref = protobuf_c_message_unpack(desc, NULL, w->len, w->p);
        uint8_t *buf = out->alloc.alloc(out, w->len + 1);
        ASSERT_TRUE(buf != NULL);
        memcpy(buf, w->p, w->len);
        ProtobufCMessage *got = ward__rpc_unpack_private(desc, buf, w->len, scratch, out);
        ASSERT_EQ(ref == NULL, got == NULL);
        int n = 0;
        if (ref) {
                size_t a = protobuf_c_message_get_packed_size(ref);
                size_t b = protobuf_c_message_get_packed_size(got);
                ASSERT_EQ(a, b);
                uint8_t *pa = malloc(a + 1), *pb = malloc(b + 1);
                ASSERT_EQ(protobuf_c_message_pack(ref, pa), a);
                ASSERT_EQ(protobuf_c_message_pack(got, pb), b);
                ASSERT_TRUE(memcmp(pa, pb, a) == 0);
                free(pa);
                free(pb);
                n = lifted(got, buf, w->len);
                protobuf_c_message_free_unpacked(ref, NULL);
        }
        ward__arena_reset(scratch);
        if (scratch != out) {
                ward__arena_reset(out);
        }
        return n;
}

static void fill_payload(void)
{
        for (size_t i = 0; i < sizeof(payload); i++) {
                payload[i] = (uint8_t)(i * 131 + (i >> 8));
        }
}

TEST(large_bytes_point_into_the_copy)
{
        static uint8_t big[65536];
        struct ward__arena a;
        Blobs__Blobs in = BLOBS__BLOBS__INIT;
        fill_payload();
        memcpy(big, payload, sizeof(big));
        in.req.data = big;
        in.req.len = sizeof(big);
        in.has_opt = 1;
        in.opt.data = big + 1;
        in.opt.len = 5000;
        in.choice_case = BLOBS__BLOBS__CHOICE_Y;
        in.y = "why";
        in.n_nums = 2;
        in.nums = (int32_t[]){-1, 7};
        ward__arena_init(&a);
        size_t len = blobs__blobs__get_packed_size(&in);
        uint8_t *buf = a.alloc.alloc(&a, len);
        blobs__blobs__pack(&in, buf);
        Blobs__Blobs *out =
            (Blobs__Blobs *)ward__rpc_unpack_private(&blobs__blobs__descriptor, buf, len, &a, &a);
        ASSERT_TRUE(out != NULL);
        ASSERT_TRUE(points_into(&out->req, buf, len));
        ASSERT_TRUE(points_into(&out->opt, buf, len));
        ASSERT_EQ(out->req.len, sizeof(big));
        ASSERT_TRUE(memcmp(out->req.data, big, sizeof(big)) == 0);
        ASSERT_EQ(out->opt.len, 5000);
        ASSERT_TRUE(memcmp(out->opt.data, big + 1, 5000) == 0);
        ASSERT_TRUE(out->has_opt);
        ASSERT_STREQ(out->y, "why");
        ASSERT_EQ(out->n_nums, 2);
        ASSERT_EQ(out->nums[0], -1);
        ASSERT_EQ(out->nums[1], 7);
        ward__arena_free(&a);
}

TEST(same_as_protobuf_c)
{
        struct ward__arena scratch, out;
        struct wbuf w = {0};
        int lifts = 0;
        fill_payload();
        ward__arena_init(&scratch);
        ward__arena_init(&out);
        for (int i = 0; i < 3000; i++) {
                int kitchen = i % 3 == 0;
                make(&w, kitchen ? kitchen_fields : blobs_fields,
                     kitchen ? sizeof(kitchen_fields) / sizeof(kitchen_fields[0])
                             : sizeof(blobs_fields) / sizeof(blobs_fields[0]));
                lifts += same_as_protobuf_c(kitchen ? &kitchen__everything__descriptor
                                                    : &blobs__blobs__descriptor,
                                            &w, i % 2 ? &scratch : &out, &out);
        }
        ASSERT_TRUE(lifts > 100); /* the case under test did come up */
        ward__arena_free(&scratch);
        ward__arena_free(&out);
        free(w.p);
}

TEST_MAIN()
