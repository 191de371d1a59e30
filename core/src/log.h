/* Internal: what the library tells the log callback (kusto_set_log_callback). Never a token or secret. */
#ifndef KUSTO_LOG_H
#define KUSTO_LOG_H

#include <string.h>

#include "kusto.h"

/* Formats and hands the message to the callback; nothing is formatted when none is set. */
void kusto_log(kusto_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The length of `url` without its query and fragment, for "%.*s": what a log line may show of a URL. */
static inline int kusto_log_url_len(const char *url) { return (int)strcspn(url, "?#"); }

#endif
