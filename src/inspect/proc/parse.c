/* /proc text parsers: see parse.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/proc/parse.h"

/* line_with: the start of the line of text that begins with key, or NULL;
 * *rest is what follows the key, up to the end of that line. */
static const char *line_with(const char *text, size_t len, const char *key, size_t *rest)
{
        size_t klen = strlen(key);
        for (size_t i = 0; i < len;) {
                const char *nl = memchr(text + i, '\n', len - i);
                size_t end = nl ? (size_t)(nl - text) : len;
                if (end - i >= klen && memcmp(text + i, key, klen) == 0) {
                        *rest = end - i - klen;
                        return text + i + klen;
                }
                i = end + 1;
        }
        return NULL;
}

/* number: the first decimal number of s[0..n), skipping blanks; -1 if none. */
static int64_t number(const char *s, size_t n)
{
        size_t i = 0;
        int64_t v = 0;
        while (i < n && (s[i] == ' ' || s[i] == '\t')) {
                i++;
        }
        if (i == n || s[i] < '0' || s[i] > '9') {
                return -1;
        }
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
                if (v > (INT64_MAX - 9) / 10) {
                        return -1;
                }
                v = v * 10 + (s[i] - '0');
        }
        return v;
}

int64_t ward__proc_kv_kb(const char *text, size_t len, const char *key)
{
        size_t rest;
        const char *v = line_with(text, len, key, &rest);
        return v ? number(v, rest) : -1;
}

int ward__proc_status_id(const char *text, size_t len, const char *key)
{
        int64_t v = ward__proc_kv_kb(text, len, key);
        return v >= 0 && v <= INT32_MAX ? (int)v : -1;
}

int ward__proc_cgroup_v2(const char *text, size_t len, char *out, size_t size)
{
        size_t rest;
        const char *v = line_with(text, len, "0::", &rest);
        if (!v || rest == 0 || rest >= size) {
                return -ENOENT;
        }
        memcpy(out, v, rest);
        out[rest] = '\0';
        return 0;
}

int ward__proc_pids(const char *text, size_t len, int **list, size_t *n, size_t *cap)
{
        for (size_t i = 0; i < len;) {
                while (i < len && (text[i] == ' ' || text[i] == '\n')) {
                        i++;
                }
                size_t j = i;
                while (j < len && text[j] != ' ' && text[j] != '\n') {
                        j++;
                }
                if (j == i) {
                        break;
                }
                for (size_t k = i; k < j; k++) {
                        if (text[k] < '0' || text[k] > '9') {
                                return -EBADMSG;
                        }
                }
                int64_t pid = number(text + i, j - i);
                if (pid <= 0 || pid > 1 << 22) {
                        return -EBADMSG;
                }
                if (*n == *cap) {
                        size_t c = *cap ? *cap * 2 : 16;
                        int *bigger = realloc(*list, c * sizeof(int));
                        if (!bigger) {
                                return -ENOMEM;
                        }
                        *list = bigger;
                        *cap = c;
                }
                (*list)[(*n)++] = (int)pid;
                i = j;
        }
        return 0;
}
