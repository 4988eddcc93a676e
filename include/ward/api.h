/* ward/api.h: export and language-linkage macros shared by every public header. */
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
