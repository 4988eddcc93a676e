/* The registry of RPC servers living in this process, so a client of one of
 * their addresses can call straight into the dispatcher (short-circuit). Only
 * the server's own thread may short-circuit, or a thread that borrowed its
 * loop (ward_loop_try_acquire): handlers run on the thread that calls, and a
 * server is an owner-thread object. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "loop/loop-internal.h"
#include "rpc/rpc-internal.h"

struct entry {
        char *address;
        ward_rpc_server *srv;
        pthread_t owner;
        const ward_loop *loop; /* the server's: a thread holding it acts for the owner */
        struct entry *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *entries;

int ward__rpc_local_register(const char *address, ward_rpc_server *srv, const ward_loop *loop)
{
        struct entry *e = calloc(1, sizeof(*e));
        if (!e || !(e->address = strdup(address))) {
                free(e);
                return -ENOMEM;
        }
        e->srv = srv;
        e->owner = pthread_self();
        e->loop = loop;
        pthread_mutex_lock(&lock);
        e->next = entries;
        entries = e;
        pthread_mutex_unlock(&lock);
        return 0;
}

void ward__rpc_local_unregister(ward_rpc_server *srv)
{
        pthread_mutex_lock(&lock);
        for (struct entry **p = &entries; *p; p = &(*p)->next) {
                if ((*p)->srv == srv) {
                        struct entry *e = *p;
                        *p = e->next;
                        free(e->address);
                        free(e);
                        break;
                }
        }
        pthread_mutex_unlock(&lock);
}

ward_rpc_server *ward__rpc_local_find(const char *address)
{
        ward_rpc_server *found = NULL;
        pthread_mutex_lock(&lock);
        for (struct entry *e = entries; e; e = e->next) {
                if (strcmp(e->address, address) == 0 &&
                    (pthread_equal(e->owner, pthread_self()) || ward__loop_held(e->loop))) {
                        found = e->srv;
                        break;
                }
        }
        pthread_mutex_unlock(&lock);
        return found;
}
