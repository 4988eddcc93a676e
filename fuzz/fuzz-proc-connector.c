/* Fuzz the process connector's message parser (netlink header, cn_msg,
 * proc_event: what ward watch reads from the kernel) with mutated real
 * datagrams: lengths are checked against the bytes there, every pid is in
 * the kernel's range, a name is terminated. Seeds: datagrams captured from
 * the kernel (the answer to LISTEN, fork, exec, comm, exit, sid, and three
 * in one). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/proc/cnmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check(void *arg, const struct ward__cn_event *ev)
{
        int *count = arg;
        if (!memchr(ev->comm, '\0', sizeof(ev->comm))) {
                abort();
        }
        if (ev->pid < 0 || ev->pid > (1 << 22) || ev->tgid < 0 || ev->tgid > (1 << 22) ||
            ev->ppid < 0 || ev->ppid > (1 << 22) || ev->ptgid < 0 || ev->ptgid > (1 << 22)) {
                abort();
        }
        return ++*count > 1000; /* stopping early is allowed too */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        int count = 0;
        /* a copy of exactly size bytes: reading past it is caught */
        uint8_t *buf = malloc(size ? size : 1);
        if (!buf) {
                return 0;
        }
        memcpy(buf, data, size);
        int r = ward__cn_parse(buf, size, check, &count);
        if (r > count) {
                abort();
        }
        uint8_t msg[64];
        if (ward__cn_listen_msg(msg, (uint32_t)size, (int)(size & 1)) > sizeof(msg)) {
                abort();
        }
        free(buf);
        return 0;
}
