/* Sign in one way, print the token's expiry (never the token) and a one-row query.
 *   cc examples/signin.c -o signin $(pkg-config --cflags --libs kusto libcjson)
 *   ./signin FLOW [CONFIG.json]      (default: $KUSTO_EMULATOR_CONFIG, the emulator's --print-config line)
 * Flows here: those without a person or a callback (the table below). The device code, interactive, token
 * callback and on-behalf-of flows are in examples/signin.py; in C they are kusto_options_set_device_code_callback,
 * sign_in=interactive, kusto_options_set_token_callback and the user_assertion option.
 */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kusto.h"

static const cJSON *config;

static const char *cfg(const char *key) {
    const char *value = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(config, key));
    return value ? value : "";
}

/* Each flow: the connection string's extra keywords and options as "name", value pairs. */
static void flow_options(const char *flow, char *cs, size_t size, kusto_options *opts) {
    int n = snprintf(cs, size, "Data Source=%s;Initial Catalog=%s;AAD Federated Security=True", cfg("cluster"),
                     cfg("database"));
    char endpoint[512];
    if (strcmp(flow, "application_secret") == 0) {
        snprintf(cs, size, "%s", cfg("connection_string"));
        kusto_options_set(opts, "authority", cfg("authority"));
    } else if (strcmp(flow, "application_certificate") == 0) {
        snprintf(cs + n, size - n, ";Application Client Id=%s", cfg("cert_client_id"));
        kusto_options_set(opts, "authority", cfg("authority"));
        kusto_options_set(opts, "certificate_path", cfg("cert_pem_file"));
    } else if (strcmp(flow, "user_password") == 0) {
        snprintf(cs + n, size - n, ";User ID=%s;Password=%s", cfg("user"), cfg("password"));
        kusto_options_set(opts, "authority", cfg("authority"));
    } else if (strcmp(flow, "managed_identity") == 0) {
        snprintf(endpoint, sizeof endpoint, "%s/metadata/identity/oauth2/token", cfg("imds_endpoint"));
        kusto_options_set(opts, "sign_in", flow);
        kusto_options_set(opts, "managed_identity_endpoint", endpoint);
    } else if (strcmp(flow, "workload_identity") == 0 || strcmp(flow, "environment") == 0) {
        int workload = flow[0] == 'w';
        setenv("AZURE_CLIENT_ID", cfg(workload ? "federated_client_id" : "client_id"), 1);
        setenv(workload ? "AZURE_FEDERATED_TOKEN_FILE" : "AZURE_CLIENT_SECRET",
               cfg(workload ? "federated_token_file" : "client_secret"), 1);
        setenv("AZURE_TENANT_ID", cfg("tenant"), 1);
        setenv("AZURE_AUTHORITY_HOST", cfg("login_endpoint"), 1);
        kusto_options_set(opts, "sign_in", flow);
    } else { /* azure_cli: `az` on PATH */
        snprintf(cs + n, size - n, ";Authority Id=%s", cfg("tenant"));
        kusto_options_set(opts, "sign_in", flow);
    }
    kusto_options_set(opts, "ca_file", cfg("ca_file"));
}

static const char *const FLOWS[] = {"application_secret", "application_certificate",
                                    "user_password",      "managed_identity",
                                    "workload_identity",  "environment",
                                    "azure_cli",          NULL};

static int known(const char *flow) {
    for (int i = 0; flow && FLOWS[i]; i++)
        if (strcmp(flow, FLOWS[i]) == 0) return 1;
    return 0;
}

static cJSON *read_config(const char *path) {
    char line[16384];
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f) return NULL;
    cJSON *json = fgets(line, sizeof line, f) ? cJSON_Parse(line) : NULL;
    fclose(f);
    return json;
}

int main(int argc, char **argv) {
    const char *flow = argc > 1 ? argv[1] : NULL;
    cJSON *json = read_config(argc > 2 ? argv[2] : getenv("KUSTO_EMULATOR_CONFIG"));
    if (!known(flow) || !json) {
        fprintf(stderr,
                "usage: %s {application_secret,application_certificate,user_password,managed_identity,"
                "workload_identity,environment,azure_cli} [CONFIG.json]\n",
                argv[0]);
        return 2;
    }
    config = json;
    char cs[4096], query[128];
    kusto_options *opts = NULL;
    kusto_client *client = NULL;
    kusto_token *token = NULL;
    kusto_result *result = NULL;
    kusto_error *err = NULL;
    kusto_options_new(&opts);
    flow_options(flow, cs, sizeof cs, opts);
    snprintf(query, sizeof query, "print flow='%s', x=1", flow);

    kusto_status status = kusto_client_new(&client, cs, opts, &err);
    if (status == KUSTO_OK) status = kusto_client_acquire_token(client, &token, &err);
    if (status == KUSTO_OK) {
        printf("token expires in %" PRId64 " s\n", kusto_token_expires_on(token) - (int64_t)time(NULL));
        status = kusto_client_query_collect(client, NULL, query, NULL, &result, &err);
    }
    for (size_t i = 0; status == KUSTO_OK && i < kusto_result_table_count(result); i++) {
        const kusto_table *table = kusto_result_table(result, i);
        if (strcmp(kusto_table_info_of(table)->kind, "PrimaryResult") != 0) continue;
        const kusto_value *name = kusto_table_value(table, 0, 0), *x = kusto_table_value(table, 0, 1);
        printf("row: %.*s %" PRId64 "\n", (int)name->u.text.len, name->u.text.ptr, x->u.i);
        break;
    }
    if (status != KUSTO_OK) fprintf(stderr, "error: %s: %s\n", kusto_status_name(status), kusto_error_message(err));
    kusto_result_free(result);
    kusto_token_free(token);
    kusto_client_free(client);
    kusto_options_free(opts);
    kusto_error_free(err);
    cJSON_Delete(json);
    return status == KUSTO_OK ? 0 : 1;
}
