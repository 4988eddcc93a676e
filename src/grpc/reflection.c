/* gRPC server reflection (grpc.reflection.v1 and v1alpha, the same
 * messages), answered from ward's reflection: one request of the stream in,
 * one response out. The request
 * is untrusted bytes, decoded by protobuf-c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grpc/filedesc.h"
#include "grpc/reflection.h"
#include "reflection.pb-c.h"

#define MAX_FILES 64 /* files one answer carries: a package and what it needs */

enum { NOT_FOUND = 5, UNIMPLEMENTED = 12, INVALID_ARGUMENT = 3 };

typedef Grpc__Reflection__V1alpha__ServerReflectionRequest Request;
typedef Grpc__Reflection__V1alpha__ServerReflectionResponse Response;

/* symbol_package: the package of symbol (a service, service.Method, a
 * message or an enum of ds) in *ret and *ret_len; 0, or -ENOENT. */
static int symbol_package(const struct ward__gdescs *ds, const char *symbol, const char **ret,
                          size_t *ret_len)
{
        size_t n = strlen(symbol);
        for (size_t i = 0; i < ds->n; i++) {
                const Ward__Reflect__Description *d = ds->d[i];
                const char *found = NULL;
                for (size_t k = 0; !found && k < d->n_services; k++) {
                        const char *s = d->services[k]->name;
                        size_t sl = strlen(s);
                        if (strcmp(s, symbol) == 0 ||
                            (n > sl + 1 && strncmp(s, symbol, sl) == 0 && symbol[sl] == '.')) {
                                found = s;
                        }
                }
                for (size_t k = 0; !found && k < d->n_messages; k++) {
                        if (strcmp(d->messages[k]->name, symbol) == 0) {
                                found = d->messages[k]->name;
                        }
                }
                for (size_t k = 0; !found && k < d->n_enums; k++) {
                        if (strcmp(d->enums[k]->name, symbol) == 0) {
                                found = d->enums[k]->name;
                        }
                }
                if (found) {
                        *ret = found;
                        *ret_len = ward__grpc_package_len(found);
                        return 0;
                }
        }
        return -ENOENT;
}

/* filename_package: "ward/PKG.proto" -> PKG, if ds has it; 0 or -ENOENT. */
static int filename_package(const struct ward__gdescs *ds, const char *name, const char **ret,
                            size_t *ret_len)
{
        size_t n = strlen(name);
        if (n < 11 || strncmp(name, "ward/", 5) != 0 || strcmp(name + n - 6, ".proto") != 0 ||
            !ward__grpc_has_package(ds, name + 5, n - 11)) {
                return -ENOENT;
        }
        *ret = name + 5;
        *ret_len = n - 11;
        return 0;
}

/* files: the file of package pkg and, transitively, those it depends on. */
static int files(const struct ward__gdescs *ds, const char *pkg, size_t len,
                 Grpc__Reflection__V1alpha__FileDescriptorResponse *out)
{
        const char *todo[MAX_FILES];
        size_t todo_len[MAX_FILES], n = 1;
        todo[0] = pkg;
        todo_len[0] = len;
        out->file_descriptor_proto = calloc(MAX_FILES, sizeof(ProtobufCBinaryData));
        if (!out->file_descriptor_proto) {
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                const char *deps[MAX_FILES];
                size_t dep_lens[MAX_FILES], ndeps;
                ProtobufCBinaryData *f = &out->file_descriptor_proto[out->n_file_descriptor_proto];
                if (ward__grpc_file(ds, todo[i], todo_len[i], &f->data, &f->len, deps, dep_lens,
                                    MAX_FILES, &ndeps) < 0) {
                        return -ENOMEM;
                }
                out->n_file_descriptor_proto++;
                for (size_t k = 0; k < ndeps && n < MAX_FILES; k++) {
                        size_t j = 0;
                        while (j < n && !(todo_len[j] == dep_lens[k] &&
                                          strncmp(todo[j], deps[k], dep_lens[k]) == 0)) {
                                j++;
                        }
                        if (j == n) {
                                todo[n] = deps[k];
                                todo_len[n++] = dep_lens[k];
                        }
                }
        }
        return 0;
}

/* services: every service of ds, once, and reflection itself (v1 and
 * v1alpha). */
static int services(const struct ward__gdescs *ds,
                    Grpc__Reflection__V1alpha__ListServiceResponse *out,
                    Grpc__Reflection__V1alpha__ServiceResponse *items, size_t max)
{
        static char v1[] = WARD__GRPC_REFLECTION_V1, v1alpha[] = WARD__GRPC_REFLECTION_V1ALPHA;
        char *selves[] = {v1, v1alpha};
        out->service = calloc(max, sizeof(*out->service));
        if (!out->service) {
                return -ENOMEM;
        }
        for (size_t i = 0; i < ds->n; i++) {
                for (size_t k = 0; k < ds->d[i]->n_services && out->n_service + 2 < max; k++) {
                        char *name = ds->d[i]->services[k]->name;
                        size_t j = 0;
                        while (j < out->n_service && strcmp(out->service[j]->name, name) != 0) {
                                j++;
                        }
                        if (j == out->n_service) {
                                grpc__reflection__v1alpha__service_response__init(&items[j]);
                                items[j].name = name;
                                out->service[out->n_service++] = &items[j];
                        }
                }
        }
        for (size_t k = 0; k < 2; k++) {
                grpc__reflection__v1alpha__service_response__init(&items[out->n_service]);
                items[out->n_service].name = selves[k];
                out->service[out->n_service] = &items[out->n_service];
                out->n_service++;
        }
        return 0;
}

/* pack: the response in *ret. */
static int pack(const Response *res, uint8_t **ret, size_t *ret_len)
{
        size_t len = grpc__reflection__v1alpha__server_reflection_response__get_packed_size(res);
        *ret = malloc(len + 1);
        if (!*ret) {
                return -ENOMEM;
        }
        *ret_len = grpc__reflection__v1alpha__server_reflection_response__pack(res, *ret);
        return 0;
}

int ward__grpc_reflect(const Ward__Reflect__Description *const *d, size_t n, const uint8_t *req,
                       size_t len, uint8_t **ret, size_t *ret_len)
{
        struct ward__gdescs ds = {.d = d, .n = n};
        Response res = GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__INIT;
        Grpc__Reflection__V1alpha__ErrorResponse error =
            GRPC__REFLECTION__V1ALPHA__ERROR_RESPONSE__INIT;
        Grpc__Reflection__V1alpha__FileDescriptorResponse fd =
            GRPC__REFLECTION__V1ALPHA__FILE_DESCRIPTOR_RESPONSE__INIT;
        Grpc__Reflection__V1alpha__ListServiceResponse list =
            GRPC__REFLECTION__V1ALPHA__LIST_SERVICE_RESPONSE__INIT;
        Grpc__Reflection__V1alpha__ServiceResponse items[257];
        Request *q = grpc__reflection__v1alpha__server_reflection_request__unpack(NULL, len, req);
        const char *pkg = NULL;
        size_t pkg_len = 0;
        int r = -ENOENT;
        res.message_response_case =
            GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE;
        res.error_response = &error;
        error.error_code = NOT_FOUND;
        error.error_message = (char *)"not found";
        if (!q) {
                error.error_code = INVALID_ARGUMENT;
                error.error_message = (char *)"the request did not decode";
        } else {
                res.valid_host = q->host;
                switch (q->message_request_case) {
                case GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES:
                        r = services(&ds, &list, items, sizeof(items) / sizeof(items[0]));
                        if (r == 0) {
                                res.message_response_case =
                                    GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE;
                                res.list_services_response = &list;
                        }
                        break;
                case GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
                        r = symbol_package(&ds, q->file_containing_symbol, &pkg, &pkg_len);
                        break;
                case GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
                        r = filename_package(&ds, q->file_by_filename, &pkg, &pkg_len);
                        break;
                case GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST__NOT_SET:
                        error.error_code = INVALID_ARGUMENT;
                        error.error_message = (char *)"no request";
                        break;
                default: /* extensions: ward's services have none */
                        break;
                }
        }
        if (pkg && r == 0) {
                r = files(&ds, pkg, pkg_len, &fd);
                if (r == 0) {
                        res.message_response_case =
                            GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE;
                        res.file_descriptor_response = &fd;
                }
        }
        /* the request is echoed as we read it, without the fields we do not
         * know: protobuf-c accepts some (field 0) that it would not read back */
        Request echo = GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__INIT;
        Grpc__Reflection__V1alpha__ExtensionRequest ext =
            GRPC__REFLECTION__V1ALPHA__EXTENSION_REQUEST__INIT;
        if (q) {
                echo.host = q->host;
                echo.message_request_case = q->message_request_case;
                echo.list_services = q->list_services; /* the union's strings */
                if (q->message_request_case ==
                    GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION) {
                        ext.containing_type = q->file_containing_extension->containing_type;
                        ext.extension_number = q->file_containing_extension->extension_number;
                        echo.file_containing_extension = &ext;
                }
                res.original_request = &echo;
        }
        r = r == -ENOMEM ? r : pack(&res, ret, ret_len);
        for (size_t i = 0; i < fd.n_file_descriptor_proto; i++) {
                free(fd.file_descriptor_proto[i].data);
        }
        free(fd.file_descriptor_proto);
        free(list.service);
        if (q) {
                grpc__reflection__v1alpha__server_reflection_request__free_unpacked(q, NULL);
        }
        return r;
}
