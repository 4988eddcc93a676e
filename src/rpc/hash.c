/* Schema hashes: FNV-1a 64 over a canonical walk of a service descriptor. Two
 * builds of the same .proto hash alike; a renamed field, a changed type or tag,
 * an added method does not. */
#include <string.h>

#include <ward/rpc.h>

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull
#define MAX_DEPTH 32

static uint64_t mix_bytes(uint64_t h, const void *p, size_t n)
{
        const unsigned char *b = p;
        for (size_t i = 0; i < n; i++) {
                h = (h ^ b[i]) * FNV_PRIME;
        }
        return h;
}

static uint64_t mix_str(uint64_t h, const char *s)
{
        return mix_bytes(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

static uint64_t mix_u32(uint64_t h, uint32_t v)
{
        return mix_bytes(h, &v, sizeof(v));
}

static uint64_t mix_enum(uint64_t h, const ProtobufCEnumDescriptor *e)
{
        h = mix_str(h, e->name);
        for (unsigned i = 0; i < e->n_values; i++) {
                h = mix_str(h, e->values[i].name);
                h = mix_u32(h, (uint32_t)e->values[i].value);
        }
        return h;
}

static uint64_t mix_message(uint64_t h, const ProtobufCMessageDescriptor *m, int depth);

static uint64_t mix_field(uint64_t h, const ProtobufCFieldDescriptor *f, int depth)
{
        h = mix_str(h, f->name);
        h = mix_u32(h, f->id);
        h = mix_u32(h, (uint32_t)f->label);
        h = mix_u32(h, (uint32_t)f->type);
        if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
                h = mix_message(h, f->descriptor, depth + 1);
        } else if (f->type == PROTOBUF_C_TYPE_ENUM) {
                h = mix_enum(h, f->descriptor);
        }
        return h;
}

static uint64_t mix_message(uint64_t h, const ProtobufCMessageDescriptor *m, int depth)
{
        h = mix_str(h, m->name);
        if (depth >= MAX_DEPTH) {
                return h; /* recursive types: the name stands for the rest */
        }
        h = mix_u32(h, m->n_fields);
        for (unsigned i = 0; i < m->n_fields; i++) {
                h = mix_field(h, &m->fields[i], depth);
        }
        return h;
}

uint64_t ward_rpc_service_hash(const ProtobufCServiceDescriptor *desc)
{
        uint64_t h = mix_str(FNV_OFFSET, desc->name);
        h = mix_u32(h, desc->n_methods);
        for (unsigned i = 0; i < desc->n_methods; i++) {
                h = mix_str(h, desc->methods[i].name);
                h = mix_message(h, desc->methods[i].input, 0);
                h = mix_message(h, desc->methods[i].output, 0);
        }
        return h;
}
