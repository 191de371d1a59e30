/* Internal: the push parser of Kusto responses (v1 and v2), bytes in, builder calls out. */
#ifndef KUSTO_PARSER_H
#define KUSTO_PARSER_H

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
/* Non-zero: a cell that does not fit its column fails the parse (default: the builder's `strict`). */
void kusto_parser_set_strict(kusto_parser *p, int strict);
/* A v2 frame buffered beyond `bytes` hands out its rows while it arrives (default 256 KiB; for tests). */
void kusto_parser_set_stream_after(kusto_parser *p, size_t bytes);
/* The bytes the parser holds for the frame being read (its buffer's capacity). */
size_t kusto_parser_buffered(const kusto_parser *p);

/* Frees the strings of a table description the parser or collector made, and its columns array. */
void kusto_table_info_free_parts(kusto_table_info *info, kusto_column *columns);
/* Copies `src` into `dst` (a zeroed one), strings and columns its own, the columns array in `*columns`; -1 when out
   of memory, and what was copied is still freed by kusto_table_info_free_parts(dst, *columns). */
int kusto_table_info_copy(kusto_table_info *dst, kusto_column **columns, const kusto_table_info *src);
/* Copies `src` into `dst`, its strings its own (NULL ones as ""); -1 when out of memory, with nothing left to free. */
int kusto_warning_copy(kusto_warning *dst, const kusto_warning *src);
/* Frees the strings of a warning kusto_warning_copy made. */
void kusto_warning_free_parts(kusto_warning *w);

/* The builder that fills a kusto_result (collect.c). */
const kusto_builder *kusto_collector_builder(void);
kusto_result *kusto_collector_new(void);
/* Whether a collected result is handed out with this status: the rows received stay readable after a
   partial failure and after a response that was cut off or malformed part-way. */
int kusto_collected_kept(kusto_status status);

/* Type names as sent (v2 "long", v1 "Int64", aliases) to kusto_type; KUSTO_TYPE_UNKNOWN if not. */
kusto_type kusto_type_from_name(const char *name);
/* Canonical 8-4-4-4-12 hex GUID text; decimal number text ([+-]digits[.digits][e[+-]digits]). */
int kusto_guid_text_valid(const char *text, size_t len);
/* Valid GUID text to its 16 bytes in text order (RFC 4122, as arrow.uuid stores them): 1, or 0 (out untouched). */
int kusto_guid_bytes(const char *text, size_t len, uint8_t out[16]);
int kusto_decimal_text_valid(const char *text, size_t len);

#endif
