/* The Store service: a bounded in-memory map from string keys to byte values,
 * in an open-addressing hash table (keys are never removed, so linear probing
 * needs no tombstones). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "calc.pb-c.h"
#include "store-service.h"

#define STORE_SLOTS (2 * STORE_MAX_KEYS) /* at most half full: probes stay short */
#define CALL_TIMEOUT_NS 1000000000ull

struct entry {
        char *key; /* NULL: a free slot */
        uint8_t *value;
        size_t len;
};

static struct {
        struct entry slots[STORE_SLOTS];
        unsigned count;
        ward_rpc_client *calc;
} store;

static uint32_t hash_key(const char *key)
{
        uint32_t h = 2166136261u; /* FNV-1a */
        for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
                h = (h ^ *p) * 16777619u;
        }
        return h;
}

/* find_slot: the slot holding key, or the free slot where it would go. */
static struct entry *find_slot(const char *key)
{
        uint32_t i = hash_key(key) & (STORE_SLOTS - 1);
        while (store.slots[i].key && strcmp(store.slots[i].key, key) != 0) {
                i = (i + 1) & (STORE_SLOTS - 1);
        }
        return &store.slots[i];
}

/* set_value: store a copy of item in e (a new key only while there is room). */
static int set_value(struct entry *e, const Store__Item *item)
{
        if (!e->key && store.count == STORE_MAX_KEYS) {
                return -ENOSPC;
        }
        uint8_t *v = malloc(item->value.len ? item->value.len : 1);
        if (!v) {
                return -ENOMEM;
        }
        if (item->value.len) {
                memcpy(v, item->value.data, item->value.len);
        }
        if (!e->key) {
                e->key = strdup(item->key);
                if (!e->key) {
                        free(v);
                        return -ENOMEM;
                }
                store.count++;
        }
        free(e->value);
        e->value = v;
        e->len = item->value.len;
        return 0;
}

static void store_put(Store__Store_Service *svc, const Store__Item *in, Store__Ack_Closure done,
                      void *closure_data)
{
        Store__Ack ack = STORE__ACK__INIT;
        (void)svc;
        if (set_value(find_slot(in->key), in) < 0) {
                done(NULL, closure_data); /* the caller gets -WARD_E_HANDLER_ERROR */
                return;
        }
        ack.count = store.count;
        done(&ack, closure_data);
}

static void store_get(Store__Store_Service *svc, const Store__Key *in, Store__Item_Closure done,
                      void *closure_data)
{
        Store__Item out = STORE__ITEM__INIT;
        (void)svc;
        const struct entry *e = find_slot(in->key);
        if (!e->key) {
                done(NULL, closure_data);
                return;
        }
        out.key = e->key;
        out.value.data = e->value;
        out.value.len = e->len;
        done(&out, closure_data);
}

/* number_of: the value of key read as a decimal integer. */
static int number_of(const char *key, int64_t *ret)
{
        const struct entry *e = find_slot(key);
        char text[24], *end;
        if (!e->key || e->len == 0 || e->len >= sizeof(text)) {
                return -EINVAL;
        }
        memcpy(text, e->value, e->len);
        text[e->len] = '\0';
        errno = 0;
        long long v = strtoll(text, &end, 10);
        if (errno || *end) {
                return -EINVAL;
        }
        *ret = v;
        return 0;
}

/* store_sum: a call to another service from a handler. In a `ward serve` that
 * also loaded libcalc.so the client is short-circuited: no socket at all. */
static void store_sum(Store__Store_Service *svc, const Store__Pair *in, Store__Number_Closure done,
                      void *closure_data)
{
        Calc__BinaryOp op = CALC__BINARY_OP__INIT;
        Store__Number out = STORE__NUMBER__INIT;
        ProtobufCMessage *res = NULL;
        (void)svc;
        if (!store.calc || number_of(in->a, &op.a) < 0 || number_of(in->b, &op.b) < 0 ||
            ward_rpc_call(store.calc, 0 /* Add */, &op.base, CALL_TIMEOUT_NS, &res) < 0) {
                done(NULL, closure_data);
                return;
        }
        out.value = ((Calc__Result *)res)->value;
        protobuf_c_message_free_unpacked(res, NULL);
        done(&out, closure_data);
}

void store_service_set_calculator(ward_rpc_client *calc)
{
        store.calc = calc;
}

void store_service_clear(void)
{
        for (unsigned i = 0; i < STORE_SLOTS; i++) {
                free(store.slots[i].key);
                free(store.slots[i].value);
                store.slots[i] = (struct entry){0};
        }
        store.count = 0;
}

Store__Store_Service store_service = STORE__STORE__INIT(store_);
