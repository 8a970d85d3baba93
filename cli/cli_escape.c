/* cli_escape.c -- printing what others wrote without letting it steer the terminal or a
 * spreadsheet: control characters shown escaped, formula-looking CSV cells defused. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void cli_print_escaped(FILE *out, const void *data, size_t len, const char *indent)
{
    const unsigned char *s = data;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        if (c == '\n') {
            /* continuation lines stay indented: a sender cannot start a line of its own */
            fputc('\n', out);
            fputs(indent, out);
        } else if (c == '\t') {
            fputc('\t', out);
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(out, "\\x%02x", c);
        } else if (c == 0xc2 && i + 1 < len && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f) {
            fprintf(out, "\\u%04x", s[++i]); /* a C1 control (CSI and friends) in UTF-8 */
        } else if (c == '\\') {
            fputs("\\\\", out);
        } else {
            fputc(c, out);
        }
    }
}

void cli_print_escaped_str(FILE *out, const char *s)
{
    cli_print_escaped(out, s, strlen(s), "");
}

void cli_csv_field(FILE *out, const char *s, int last)
{
    /* A cell starting like a formula is shown as text (OWASP CSV injection advice). */
    int formula = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
                  s[0] == '\r';
    int quote = formula || strpbrk(s, ",\"\n\r") != NULL;
    if (quote)
        fputc('"', out);
    if (formula)
        fputc('\'', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    if (quote)
        fputc('"', out);
    fputc(last ? '\n' : ',', out);
}

FILE *cli_create_report(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        cli_fail(CLI_FAIL, "%s: %s", path,
                 errno == EEXIST ? "exists already (a report never overwrites a file)"
                 : errno == ELOOP ? "is a symbolic link (refused)" : strerror(errno));
        return NULL;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        cli_fail(CLI_FAIL, "%s: %s", path, strerror(errno));
        close(fd);
    }
    return f;
}
