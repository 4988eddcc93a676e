/* Fuzz the /proc parsers with any bytes as the file: stat (core/procstat),
 * statm, status, smaps_rollup, cgroup and a children list. The first byte
 * picks the parser; each must take any text without reading past it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/procstat.h"
#include "inspect/proc/info.h"
#include "inspect/proc/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1) {
                return 0;
        }
        /* a copy of exactly the text, so any read past it is caught */
        size_t n = size - 1;
        char *text = malloc(n ? n : 1);
        if (!text) {
                return 0;
        }
        memcpy(text, data + 1, n);
        struct ward__proc_statline s;
        char path[256];
        int *pids = NULL;
        size_t np = 0, cap = 0;
        switch (data[0] % 6) {
        case 0:
                if (ward__proc_stat_parse(text, n, &s) == 0 && s.comm[sizeof(s.comm) - 1]) {
                        abort(); /* the name is always terminated */
                }
                break;
        case 1:
                ward__proc_statm_rss(text, n);
                break;
        case 2:
                ward__proc_status_id(text, n, "Uid:");
                break;
        case 3:
                ward__proc_kv_kb(text, n, "Pss:");
                break;
        case 4:
                ward__proc_cgroup_v2(text, n, path, sizeof(path));
                break;
        default:
                ward__proc_pids(text, n, &pids, &np, &cap);
                if (np > cap) {
                        abort();
                }
        }
        free(pids);
        free(text);
        return 0;
}
