/* symbolize-example REPORT DEBUG_DIR: what `ward symbolize` does, from C:
 * the frames of a crash report (CORE.json) named with the debug files of
 * DEBUG_DIR by build-id (docs/guard.md, "Symbolizing a report later"). */
#include <stdio.h>

#include <ward/symbolize.h>

int main(int argc, char **argv)
{
        struct ward_symbolize_result res;
        char err[512];
        if (argc != 3) {
                fprintf(stderr, "usage: symbolize-example REPORT DEBUG_DIR\n");
                return 2;
        }
        /* the frames as text on stdout; NULL: no JSON */
        int r = ward_symbolize_report(argv[1], argv[2], stdout, NULL, &res, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "symbolize-example: %s\n", err);
                return 1;
        }
        printf("%zu of %zu frames named from %s, %zu with file:line\n", res.found, res.frames,
               argv[2], res.with_line);
        return 0;
}
