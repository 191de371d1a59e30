/* libFuzzer: v1/v2 response bodies fed to the streaming parser in chunks whose sizes come from the
   input's first bytes, collected by the collector's builder as a real query would be. The top bit of
   the second byte makes the parse strict (a cell that does not fit fails it instead of a warning); the
   next one makes frames hand out their rows while they arrive from their first bytes on (by default
   only frames beyond 256 KiB do, larger than the fuzzer's inputs). */
#include <stdint.h>

#include "kusto.h"
#include "parser.h"


int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    if (size < 2) return 0;
    unsigned seed = data[0] | (unsigned)data[1] << 8;
    int strict = data[1] >> 7, stream_early = data[1] >> 6 & 1;
    size_t stream_after = 1 + data[0] % 128u;
    data += 2;
    size -= 2;
    kusto_result *res = kusto_collector_new();
    kusto_parser *parser = NULL;
    if (!res || kusto_parser_new(&parser, kusto_collector_builder(), res) != KUSTO_OK) {
        kusto_result_free(res);
        return 0;
    }
    kusto_parser_set_strict(parser, strict);
    if (stream_early) kusto_parser_set_stream_after(parser, stream_after);
    kusto_status status = KUSTO_OK;
    for (size_t at = 0; at < size && status == KUSTO_OK;) {
        seed = seed * 1103515245u + 12345u;
        /* Mostly small pieces; every fourth up to 1 KiB, so the scanner's 64-byte blocks run too. */
        size_t chunk = (seed >> 30) == 0 ? 1 + (seed >> 16) % 1024 : 1 + (seed >> 16) % 64;
        if (chunk > size - at) chunk = size - at;
        status = kusto_parser_feed(parser, (const char *)data + at, chunk, NULL);
        at += chunk;
    }
    if (status == KUSTO_OK) kusto_parser_finish(parser, NULL);
    kusto_parser_free(parser);
    kusto_result_free(res);
    return 0;
}
