/* libFuzzer: number text read by kusto_jr_double (Eisel-Lemire, strtod fallback) gives exactly the
   double strtod gives, and is accepted exactly when strtod reads it whole; int64 likewise. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonread.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    char text[80];
    if (size == 0 || size >= sizeof text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (strlen(text) != size) return 0;
    double fast = 0;
    int rc = kusto_jr_double(text, size, &fast);
    char *end;
    double slow = strtod(text, &end);
    int whole = end == text + size && (text[0] == '-' || (text[0] >= '0' && text[0] <= '9'));
    /* strtod also reads hex, "inf" and "nan": the JSON reader never hands it those (they are not number tokens). */
    int number_chars = strspn(text, "0123456789+-.eE") == size;
    if (number_chars && (rc == 0) != whole) abort();
    if (number_chars && rc == 0 && memcmp(&fast, &slow, sizeof fast) != 0) abort();
    int64_t v;
    if (kusto_jr_int64(text, size, &v) == 0) {
        long long expected = strtoll(text, &end, 10);
        if (end != text + size || expected != v || text[0] == '+' || text[0] == ' ') abort();
    }
    return 0;
}
