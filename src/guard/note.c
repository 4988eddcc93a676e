/* The note a crash leaves without a guardian: one line on a descriptor
 * opened in advance. Its head (process and name) is made when the handlers
 * are installed; at the crash only numbers and constant words are added, by
 * code that calls nothing but write(2). */
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "guard/guard.h"

struct line {
        char buf[WARD__GUARD_NOTE_HEAD_MAX + WARD__GUARD_WHY_MAX + 192];
        size_t len;
};

static void put(struct line *l, const char *s)
{
        while (*s && l->len + 1 < sizeof(l->buf)) {
                l->buf[l->len++] = *s++;
        }
}

static void put_num(struct line *l, uint64_t v, unsigned base)
{
        char d[24];
        size_t n = 0;
        do {
                d[n++] = "0123456789abcdef"[v % base];
                v /= base;
        } while (v && n < sizeof(d));
        while (n && l->len + 1 < sizeof(l->buf)) {
                l->buf[l->len++] = d[--n];
        }
}

static void put_int(struct line *l, int v)
{
        if (v < 0) {
                put(l, "-");
                put_num(l, (uint64_t) - (int64_t)v, 10);
        } else {
                put_num(l, (uint64_t)v, 10);
        }
}

static const char *signal_name(int signo)
{
        switch (signo) {
        case 4:
                return " (SIGILL)";
        case 5:
                return " (SIGTRAP)";
        case 6:
                return " (SIGABRT)";
        case 7:
                return " (SIGBUS)";
        case 8:
                return " (SIGFPE)";
        case 11:
                return " (SIGSEGV)";
        case 31:
                return " (SIGSYS)";
        default:
                return "";
        }
}

void ward__guard_note_prepare(void)
{
        char comm[17] = "";
        prctl(PR_GET_NAME, comm);
        snprintf(ward__guard.note_head, sizeof(ward__guard.note_head), "ward: process %d (%s) ",
                 (int)getpid(), comm);
}

void ward__guard_note_write(int signo, int code, uint64_t addr, int tid, const char *reason)
{
        struct line l = {.len = 0};
        put(&l, ward__guard.note_head);
        put(&l, "crashed: signal ");
        put_int(&l, signo);
        put(&l, signal_name(signo));
        put(&l, " code ");
        put_int(&l, code);
        put(&l, " addr 0x");
        put_num(&l, addr, 16);
        put(&l, " thread ");
        put_int(&l, tid);
        put(&l, "; ");
        put(&l, reason);
        put(&l, "; no capture by ward, the system's core handling takes over\n");
        if (l.buf[l.len - 1] != '\n') {
                l.buf[l.len++] = '\n';
        }
        int fd = ward__guard.fallback_fd;
        if (!ward__guard_file_same(fd, &ward__guard.fallback_file)) {
                fd = 2; /* the program closed it and the number is another file's now */
        }
        (void)!write(fd, l.buf, l.len);
}
