/* What libward-audit.so (src/preload/audit.c) tells the debugger
 * (src/inspect/debug/debug.c): one datagram per library loaded or unloaded,
 * sent to the Unix datagram socket the debugger names in the environment
 * (WARD_AUDIT_SOCKET, "@name" for an abstract one). The debugger takes the
 * sender's pid from the kernel (SO_PASSCRED) and checks every field: a
 * datagram is the program's word, not ward's. */
#ifndef WARD_PRELOAD_AUDIT_FORMAT_H
#define WARD_PRELOAD_AUDIT_FORMAT_H

#include <stdint.h>

#define WARD__AUDIT_ENV "WARD_AUDIT_SOCKET"
#define WARD__AUDIT_MAGIC 0x44554157u /* "WAUD" */
#define WARD__AUDIT_PATH_MAX 4096

enum {
        WARD__AUDIT_LOAD = 1,   /* la_objopen */
        WARD__AUDIT_UNLOAD = 2, /* la_objclose */
};

struct ward__audit_msg {
        uint32_t magic;
        uint32_t kind;
        int32_t tid;       /* the thread that loaded or unloaded it */
        uint32_t path_len; /* bytes of path that follow, no NUL */
        uint64_t base;     /* l_addr: where the file is mapped (its load bias) */
        char path[WARD__AUDIT_PATH_MAX];
};

#define WARD__AUDIT_HEADER_SIZE 24u

#endif
