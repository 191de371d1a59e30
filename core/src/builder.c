#include "builder.h"

#include <string.h>

#include "error.h"

kusto_status kusto_builder_adopt(kusto_builder *out, const kusto_builder *given, kusto_error **err) {
    memset(out, 0, sizeof *out);
    out->size = sizeof *out;
    if (!given) return KUSTO_OK;
    if (given->size < KUSTO_BUILDER_FIRST_SIZE)
        return kusto_fail(err, KUSTO_E_ARGUMENT, "the builder's size is %zu: set it to sizeof(kusto_builder)",
                          given->size);
    const unsigned char *bytes = (const unsigned char *)given;
    for (size_t i = sizeof *out; i < given->size; i++)
        if (bytes[i])
            return kusto_fail(err, KUSTO_E_UNSUPPORTED,
                              "the builder (%zu bytes) sets fields that libkusto %s (%zu bytes) does not have",
                              given->size, KUSTO_VERSION, sizeof *out);
    memcpy(out, given, given->size < sizeof *out ? given->size : sizeof *out);
    out->size = sizeof *out;
    return KUSTO_OK;
}
