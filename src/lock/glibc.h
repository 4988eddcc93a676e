/* What glibc's lock objects say about who holds them, read from another
 * process's memory (x86-64, glibc 2.36; the words of the first 32 bytes).
 * The scan (scan.c) and the registry reader (reader.c) both read them. */
#ifndef WARD_LOCK_GLIBC_H
#define WARD_LOCK_GLIBC_H

#include <stdint.h>

/* pthread_mutex_t: __lock@0, __count@4, __owner@8, __nusers@12, __kind@16 */
#define WARD__GLIBC_MUTEX_LOCK 0
#define WARD__GLIBC_MUTEX_COUNT 1
#define WARD__GLIBC_MUTEX_OWNER 2
#define WARD__GLIBC_MUTEX_KIND 4
#define WARD__GLIBC_MUTEX_KIND_ROBUST 16
#define WARD__GLIBC_MUTEX_KIND_PI 32
#define WARD__GLIBC_MUTEX_KIND_PP 64
/* pthread_rwlock_t: __readers@0 (count << 3 | flags), __wrphase_futex@8,
 * __writers_futex@12, __cur_writer@24 */
#define WARD__GLIBC_RWLOCK_READERS 0
#define WARD__GLIBC_RWLOCK_READER_SHIFT 3
#define WARD__GLIBC_RWLOCK_CUR_WRITER 6

#define WARD__GLIBC_RWLOCK_WRPHASE 1 /* __readers flag: a writer phase */
#define WARD__GLIBC_RWLOCK_FLAGS 12  /* __flags@48: the kind, 0..2 */
/* pthread_cond_t (2.25+), in 32-bit words: __g_refs[2]@16, __wrefs@36
 * (waiters << 3; low bits: clock, process-shared), __g_signals[2]@40, the
 * words waiters sleep on */
#define WARD__GLIBC_COND_SIGNALS_OFF 40
#define WARD__GLIBC_COND_REFS 4
#define WARD__GLIBC_COND_WREFS 9
#define WARD__GLIBC_COND_WREFS_SHIFT 3
/* pthread_barrier_t (2.25+): in@0, current_round@4 (the futex), count@8,
 * shared@12 (0 or FUTEX_PRIVATE_FLAG 128), out@16 */
#define WARD__GLIBC_BARRIER_ROUND_OFF 4
/* sem_t (64-bit): data@0 (value in the low word, the futex; waiters in the
 * high word), private@8 (0 or FUTEX_PRIVATE_FLAG) */
#define WARD__GLIBC_FUTEX_PRIVATE 128

/* The words of an object, as read. */
struct ward__glibc_words {
        int32_t w[8];
};

/* ward__glibc_mutex_kind_ok: is kind a __kind glibc makes (a type, and
 * robust, PI, PP, elision or process-shared bits)? */
static inline int ward__glibc_mutex_kind_ok(int32_t kind)
{
        return (kind & ~(3 | WARD__GLIBC_MUTEX_KIND_ROBUST | WARD__GLIBC_MUTEX_KIND_PI |
                         WARD__GLIBC_MUTEX_KIND_PP | 128 | 256 | 512)) == 0;
}

/* ward__glibc_mutex_owner: the owner a locked mutex's words name, 0 if they
 * do not look like a locked mutex */
static inline int32_t ward__glibc_mutex_owner(const struct ward__glibc_words *m)
{
        return m->w[WARD__GLIBC_MUTEX_LOCK] != 0 &&
                       ward__glibc_mutex_kind_ok(m->w[WARD__GLIBC_MUTEX_KIND])
                   ? m->w[WARD__GLIBC_MUTEX_OWNER]
                   : 0;
}

#endif
