/* Internal: the push parser of Kusto responses (v1 and v2), bytes in, builder calls out. */
#ifndef KUSTO_RESULT_H
#define KUSTO_RESULT_H

#include "kusto.h"

typedef struct kusto_parser kusto_parser;

/* `builder` and `ud` must outlive the parser. */
kusto_status kusto_parser_new(kusto_parser **out, const kusto_builder *builder, void *ud);
/* Feeds the next bytes of the body, in any chunking. Calls the builder for what is complete.
   Returns KUSTO_OK, KUSTO_E_CANCELLED when a callback stopped, KUSTO_E_SERVICE for an error body,
   or KUSTO_E_PROTOCOL for malformed input; after an error the parser accepts nothing more. */
kusto_status kusto_parser_feed(kusto_parser *p, const char *data, size_t len, kusto_error **err);
/* The body is complete. KUSTO_OK; KUSTO_E_PARTIAL when the response reported errors (builder's
   partial_error was called; `err` gets the first of them); KUSTO_E_PROTOCOL when truncated. */
kusto_status kusto_parser_finish(kusto_parser *p, kusto_error **err);
void kusto_parser_free(kusto_parser *p);

/* Frees the strings of a table description the parser or collector made, and its columns array. */
void kusto_table_info_free_parts(kusto_table_info *info, kusto_column *columns);

/* The builder that fills a kusto_result (collect.c). */
const kusto_builder *kusto_collector_builder(void);
kusto_result *kusto_collector_new(void);

/* Type names as sent (v2 "long", v1 "Int64", aliases) to kusto_type; KUSTO_TYPE_UNKNOWN if not. */
kusto_type kusto_type_from_name(const char *name);

#endif
