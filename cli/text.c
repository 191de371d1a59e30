/* Growing strings, JSON string quoting and the display width of UTF-8 text. */
#if !defined(_GNU_SOURCE) && !defined(_XOPEN_SOURCE)
#define _XOPEN_SOURCE 700 /* wcwidth is XSI, not plain POSIX */
#endif
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "cli.h"

int text_add(text *t, const char *p, size_t len) {
    if (t->len + len + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 64;
        while (cap < t->len + len + 1) cap *= 2;
        char *grown = realloc(t->p, cap);
        if (!grown) return -1;
        t->p = grown;
        t->cap = cap;
    }
    memcpy(t->p + t->len, p, len);
    t->len += len;
    t->p[t->len] = '\0';
    return 0;
}

int text_str(text *t, const char *s) { return text_add(t, s, strlen(s)); }

int text_json_string(text *t, const char *p, size_t len) {
    int rc = text_add(t, "\"", 1);
    for (size_t i = 0; i < len && rc == 0; i++) {
        unsigned char c = (unsigned char)p[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c;
            rc = text_add(t, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            rc = text_add(t, esc, 6);
        } else {
            rc = text_add(t, p + i, 1);
        }
    }
    return rc ? rc : text_add(t, "\"", 1);
}

void use_utf8_locale(void) {
    if (!setlocale(LC_CTYPE, "") || strcmp(nl_langinfo(CODESET), "UTF-8") != 0) setlocale(LC_CTYPE, "C.UTF-8");
}

size_t display_width(const char *s) {
    size_t width = 0, left = strlen(s);
    mbstate_t state = {0};
    while (left) {
        if (*s == '\033') { /* an SGR sequence: ESC [ ... m */
            const char *m = strchr(s, 'm');
            if (m) {
                left -= (size_t)(m + 1 - s);
                s = m + 1;
                continue;
            }
        }
        wchar_t wc;
        size_t n = mbrtowc(&wc, s, left, &state);
        if (n == (size_t)-1 || n == (size_t)-2 || n == 0) { /* not UTF-8: a byte a column */
            memset(&state, 0, sizeof state);
            n = 1;
            width++;
        } else {
            int w = wcwidth(wc);
            width += w < 0 ? 1 : (size_t)w;
        }
        s += n;
        left -= n;
    }
    return width;
}
