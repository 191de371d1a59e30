/* kusto_options: an ordered list of (name, value) pairs that kusto_client_new applies. */
#include "options.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

typedef struct option_pair {
    char *name;
    char *value;
} option_pair;

struct kusto_options {
    option_pair *pairs;
    size_t count, cap;
    kusto_token_callback token_callback;
    void *token_callback_ud;
    kusto_prompts prompts;
};

kusto_status kusto_options_new(kusto_options **out) {
    if (!out) return KUSTO_E_ARGUMENT;
    *out = calloc(1, sizeof **out);
    return *out ? KUSTO_OK : KUSTO_E_NOMEM;
}

void kusto_options_free(kusto_options *opts) {
    if (!opts) return;
    /* Any value may be a secret (client_secret, password, tokens...): wipe them all. */
    for (size_t i = 0; i < opts->count; i++) {
        free(opts->pairs[i].name);
        kusto_secret_free(opts->pairs[i].value);
    }
    free(opts->pairs);
    free(opts);
}

static int ensure_room(kusto_options *opts) {
    if (opts->count < opts->cap) return 0;
    size_t cap = opts->cap ? opts->cap * 2 : 8;
    option_pair *pairs = realloc(opts->pairs, cap * sizeof *pairs);
    if (!pairs) return -1;
    opts->pairs = pairs;
    opts->cap = cap;
    return 0;
}

kusto_status kusto_options_set(kusto_options *opts, const char *name, const char *value) {
    if (!opts || !name || !*name) return KUSTO_E_ARGUMENT;
    if (ensure_room(opts)) return KUSTO_E_NOMEM;
    char *name_copy = kusto_strdup(name);
    char *value_copy = kusto_strdup(value);
    if (!name_copy || (value && !value_copy)) {
        free(name_copy);
        kusto_secret_free(value_copy);
        return KUSTO_E_NOMEM;
    }
    opts->pairs[opts->count++] = (option_pair){name_copy, value_copy};
    return KUSTO_OK;
}

size_t kusto_options_count(const kusto_options *opts) { return opts ? opts->count : 0; }

const char *kusto_options_name(const kusto_options *opts, size_t i) {
    return opts && i < opts->count ? opts->pairs[i].name : NULL;
}

const char *kusto_options_value(const kusto_options *opts, size_t i) {
    return opts && i < opts->count ? opts->pairs[i].value : NULL;
}

const char *kusto_options_get(const kusto_options *opts, const char *name) {
    for (size_t i = kusto_options_count(opts); i-- > 0;)
        if (strcmp(opts->pairs[i].name, name) == 0) return opts->pairs[i].value;
    return NULL;
}

kusto_status kusto_options_set_token_callback(kusto_options *opts, kusto_token_callback fn, void *ud) {
    if (!opts) return KUSTO_E_ARGUMENT;
    opts->token_callback = fn;
    opts->token_callback_ud = fn ? ud : NULL;
    return KUSTO_OK;
}

kusto_token_callback kusto_options_token_callback(const kusto_options *opts, void **ud) {
    *ud = opts ? opts->token_callback_ud : NULL;
    return opts ? opts->token_callback : NULL;
}

kusto_status kusto_options_set_device_code_callback(kusto_options *opts, kusto_device_code_callback fn, void *ud) {
    if (!opts) return KUSTO_E_ARGUMENT;
    opts->prompts.device_code = fn;
    opts->prompts.device_code_ud = fn ? ud : NULL;
    return KUSTO_OK;
}

kusto_status kusto_options_set_browser_callback(kusto_options *opts, kusto_browser_callback fn, void *ud) {
    if (!opts) return KUSTO_E_ARGUMENT;
    opts->prompts.browser = fn;
    opts->prompts.browser_ud = fn ? ud : NULL;
    return KUSTO_OK;
}

kusto_status kusto_options_set_browser_opener(kusto_options *opts, kusto_browser_callback fn, void *ud) {
    if (!opts) return KUSTO_E_ARGUMENT;
    opts->prompts.opener = fn;
    opts->prompts.opener_ud = fn ? ud : NULL;
    return KUSTO_OK;
}

kusto_status kusto_options_set_cancel_callback(kusto_options *opts, kusto_cancel_callback fn, void *ud) {
    if (!opts) return KUSTO_E_ARGUMENT;
    opts->prompts.cancelled = fn;
    opts->prompts.cancelled_ud = fn ? ud : NULL;
    return KUSTO_OK;
}

kusto_prompts kusto_options_prompts(const kusto_options *opts) {
    kusto_prompts none = {0};
    return opts ? opts->prompts : none;
}
