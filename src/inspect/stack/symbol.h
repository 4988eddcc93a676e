/* Naming an address of another process by the symbol that covers it
 * ("app!mutex_a"), from /proc/PID/maps and the mapped files' ELF symbol
 * tables (libelf); and walking those files and symbols for who else needs
 * them (globals.c: the locks a program declares statically). */
#ifndef WARD_LOCK_SYMBOL_H
#define WARD_LOCK_SYMBOL_H

#include <stddef.h>
#include <stdint.h>

#include <ward/stack.h>

/* ward__lock_mapped_files: call fn(arg, path, base) once per file mapped
 * into pid, base being the start of its first mapping (file offset 0). fn
 * returning nonzero stops the walk and is returned. Returns 0, -ESRCH or
 * -errno. Any thread. */
int ward__lock_mapped_files(int pid, int (*fn)(void *arg, const char *path, uint64_t base),
                            void *arg);

struct ward__lock_symbol {
        const char *name; /* valid during the call only */
        uint64_t addr;    /* in the process */
        uint64_t size;
        int object; /* STT_OBJECT: data, not code */
};

/* ward__lock_file_symbols: call fn for each named, defined symbol of the ELF
 * file at path, mapped at base, from .symtab and (unless symtab_only) from
 * .dynsym. fn returning nonzero stops the walk and is returned. Returns 0,
 * -ENOENT (not ELF), -ENOSYS (libelf too old) or -errno. */
int ward__lock_file_symbols(const char *path, uint64_t base, int symtab_only,
                            int (*fn)(void *arg, const struct ward__lock_symbol *s), void *arg);

#endif
