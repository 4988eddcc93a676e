/* ward/api.h: export and language-linkage macros shared by every public
 * header, and the rules every part's API follows.
 *
 * Options structs. Every struct ward_*_options begins with `uint32_t size`,
 * the sizeof the struct as the caller was compiled (its *_options_init, or
 * the caller itself, sets it). Every function that takes one (NULL: all
 * defaults) treats it the same way, so that programs built against another
 * version of these headers keep working:
 *   - a smaller size (a caller built against an older header) is accepted:
 *     the fields the caller does not have take their defaults;
 *   - a larger size (a caller built against a newer header) is accepted only
 *     if every byte this library does not know is zero (the newer options
 *     left at their defaults); otherwise -EINVAL, since this library cannot
 *     honour an option it does not know;
 *   - a size below 4 or above 4096 is -EINVAL.
 * Errors follow ward/error.h. */
#ifndef WARD_API_H
#define WARD_API_H

#if defined(WARD_BUILDING)
#define WARD_API __attribute__((visibility("default")))
#else
#define WARD_API
#endif

#ifdef __cplusplus
#define WARD_BEGIN_DECLS extern "C" {
#define WARD_END_DECLS }
#else
#define WARD_BEGIN_DECLS
#define WARD_END_DECLS
#endif

#define WARD_VERSION_STRING "0.1.0"

#endif
