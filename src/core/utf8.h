/* UTF-8: decoding one code point, strictly (no overlongs, no surrogates, no
 * values past U+10FFFF), and encoding one. */
#ifndef WARD_CORE_UTF8_H
#define WARD_CORE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* ward__utf8_decode: the code point at s (n > 0 bytes available) into *cp.
 * Returns its length in bytes (1-4), or 0 when s does not start a valid
 * sequence. */
size_t ward__utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);

/* ward__utf8_encode: cp (<= 0x10FFFF, not a surrogate) into out (4 bytes of
 * room). Returns the length written, 0 for an invalid cp. */
size_t ward__utf8_encode(uint32_t cp, uint8_t *out);

#endif
