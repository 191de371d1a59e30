/* Internal: reading back the (name, value) pairs of a kusto_options, in the order they were set. */
#ifndef KUSTO_OPTIONS_H
#define KUSTO_OPTIONS_H

#include "kusto.h"

/* Every kusto_options_set call adds a pair, so a name set twice appears twice: apply in order and
   the last one wins. */
size_t kusto_options_count(const kusto_options *opts);
/* NULL when `i` is out of range. Owned by `opts`. */
const char *kusto_options_name(const kusto_options *opts, size_t i);
/* The value as given; NULL when it was set to NULL (meaning "unset") or `i` is out of range. */
const char *kusto_options_value(const kusto_options *opts, size_t i);

/* The value last set for `name`, or NULL. */
const char *kusto_options_get(const kusto_options *opts, const char *name);

/* The token callback set, or NULL; its user data in *ud. */
kusto_token_callback kusto_options_token_callback(const kusto_options *opts, void **ud);

/* The callbacks of the flows that need a person (NULL: their defaults), and of cancelling a sign-in. */
typedef struct kusto_prompts {
    kusto_device_code_callback device_code;
    void *device_code_ud;
    kusto_browser_callback browser; /* the caller's: a person is there */
    void *browser_ud;
    kusto_browser_callback opener; /* how to show the page when there is no browser callback */
    void *opener_ud;
    kusto_cancel_callback cancelled;
    void *cancelled_ud;
} kusto_prompts;

kusto_prompts kusto_options_prompts(const kusto_options *opts);

#endif
