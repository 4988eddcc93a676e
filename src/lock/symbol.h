/* Naming an address of another process by the symbol that covers it
 * ("app!mutex_a"), from /proc/PID/maps and the mapped file's ELF symbol
 * tables (libelf). For globals: the locks a program declares statically. */
#ifndef WARD_LOCK_SYMBOL_H
#define WARD_LOCK_SYMBOL_H

#include <stddef.h>
#include <stdint.h>

/* ward__lock_symbolize: write "file!symbol" or "file!symbol+0xN" for addr in
 * process pid into out. Returns 0, or -ENOENT when no symbol covers addr
 * (heap, stack, stripped file), or -errno. */
int ward__lock_symbolize(int pid, uint64_t addr, char *out, size_t size);

#endif
