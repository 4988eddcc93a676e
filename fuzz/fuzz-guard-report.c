/* Fuzz the reader of crash reports (src/inspect/guard/report-read.c): what
 * `ward symbolize` reads from a file that may come from anywhere. Whatever
 * the input, it parses or fails cleanly, and what it returns keeps the
 * limits: bounded counts, NUL-terminated strings, hex build-ids. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/guard/report-read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_frame(const struct ward__report_frame *f)
{
        if (!memchr(f->function, '\0', sizeof(f->function)) ||
            !memchr(f->module, '\0', sizeof(f->module)) ||
            !memchr(f->file, '\0', sizeof(f->file)) ||
            !memchr(f->build_id, '\0', sizeof(f->build_id)) || f->line < 0) {
                abort();
        }
        for (const char *p = f->build_id; *p; p++) {
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
                        abort();
                }
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct ward__report r;
        char err[256];
        int e = ward__report_read((const char *)data, size, &r, err, sizeof(err));
        if (e == 0) {
                if (r.n_threads > WARD__REPORT_MAX_THREADS) {
                        abort();
                }
                for (size_t i = 0; i < r.n_threads; i++) {
                        const struct ward__report_thread *t = &r.threads[i];
                        if (t->n_frames > WARD__REPORT_MAX_FRAMES ||
                            !memchr(t->name, '\0', sizeof(t->name))) {
                                abort();
                        }
                        for (size_t k = 0; k < t->n_frames; k++) {
                                check_frame(&t->frames[k]);
                        }
                }
        } else if (!memchr(err, '\0', sizeof(err))) {
                abort();
        }
        ward__report_free(&r);
        return 0;
}
