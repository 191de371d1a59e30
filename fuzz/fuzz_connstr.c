/* libFuzzer: connection strings, parsed, printed masked, and re-parsed. */
#include <stdlib.h>
#include <string.h>

#include "kusto.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    kusto_connstr *cs = NULL;
    if (kusto_connstr_parse(&cs, text, NULL) == KUSTO_OK) {
        char *canonical = kusto_connstr_to_string(cs);
        kusto_connstr *again = NULL;
        if (canonical && kusto_connstr_parse(&again, canonical, NULL) == KUSTO_OK) kusto_connstr_free(again);
        free(canonical);
        kusto_connstr_free(cs);
    }
    free(text);
    return 0;
}
