/* kusto login | logout [ACCOUNT] | accounts: the sign-ins kept in the token cache (see session.c's defaults). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static kusto_status open_client(const args *a, kusto_client **client, kusto_error **err) {
    kusto_options *opts = NULL;
    kusto_status status = make_client_options(a, &opts);
    if (status != KUSTO_OK) fputs("kusto: bad -o option\n", stderr);
    if (status == KUSTO_OK) status = kusto_client_new(client, a->connstr, opts, err);
    kusto_options_free(opts);
    return status;
}

static kusto_status login(kusto_client *client, kusto_error **err) {
    kusto_token *token = NULL;
    kusto_status status = kusto_client_acquire_token(client, &token, err);
    if (status != KUSTO_OK) return status;
    char until[32];
    time_t expires = (time_t)kusto_token_expires_on(token);
    strftime(until, sizeof until, "%Y-%m-%d %H:%M:%S UTC", gmtime(&expires));
    printf("signed in to %s%s; the token is good until %s\n", kusto_token_resource(token),
           kusto_token_from_cache(token) ? " (already, from the token cache)" : "", until);
    kusto_token_free(token);
    return KUSTO_OK;
}

/* The accounts as a result table, so every output format shows them. */
static void print_accounts(const args *a, const kusto_account *accounts, size_t count) {
    static const kusto_column columns[] = {{"username", KUSTO_TYPE_STRING, "string"},
                                           {"home_account_id", KUSTO_TYPE_STRING, "string"},
                                           {"environment", KUSTO_TYPE_STRING, "string"},
                                           {"realm", KUSTO_TYPE_STRING, "string"}};
    const kusto_table_info info = {0, "Accounts", "PrimaryResult", 4, columns, 1};
    printer pr = {.format = a->format < 0 ? FORMAT_TABLE : (format_id)a->format,
                  .out = stdout,
                  .expanded = a->expanded,
                  .null_text = ""};
    printer_builder.begin_table(&pr, &info);
    for (size_t i = 0; i < count; i++) {
        const char *cells[] = {accounts[i].username, accounts[i].home_account_id, accounts[i].environment,
                               accounts[i].realm};
        printer_builder.begin_row(&pr);
        for (size_t c = 0; c < 4; c++) {
            kusto_value v = {.kind = KUSTO_VALUE_STRING, .u.text = {cells[c], strlen(cells[c])}};
            printer_builder.value(&pr, &v);
        }
        printer_builder.end_row(&pr);
    }
    printer_builder.end_table(&pr);
}

static int matches(const kusto_account *account, const char *name) {
    return !name || strcmp(account->username, name) == 0 || strcmp(account->home_account_id, name) == 0;
}

/* Signs out ACCOUNT (a username or home account id), or every account of the cache when none is named. */
static kusto_status logout(kusto_client *client, const char *name, kusto_account *accounts, size_t count,
                           kusto_error **err) {
    size_t removed = 0;
    kusto_status status = KUSTO_OK;
    for (size_t i = 0; status == KUSTO_OK && i < count; i++) {
        if (!matches(&accounts[i], name)) continue;
        status = kusto_client_remove_account(client, accounts[i].home_account_id, err);
        if (status == KUSTO_OK)
            printf("signed out %s\n", *accounts[i].username ? accounts[i].username : accounts[i].home_account_id);
        removed += status == KUSTO_OK;
    }
    if (status == KUSTO_OK && name && !removed) {
        fprintf(stderr, "kusto: no account %s in the token cache (kusto accounts lists them)\n", name);
        return KUSTO_E_ARGUMENT;
    }
    if (status == KUSTO_OK && !removed) printf("no account was signed in\n");
    return status;
}

int run_account_command(const args *a) {
    kusto_client *client = NULL;
    kusto_account *accounts = NULL;
    size_t count = 0;
    kusto_error *err = NULL;
    kusto_status status = open_client(a, &client, &err);
    if (status == KUSTO_OK && strcmp(a->command, "login") == 0) status = login(client, &err);
    else if (status == KUSTO_OK) status = kusto_client_accounts(client, &accounts, &count, &err);
    if (status == KUSTO_OK && strcmp(a->command, "accounts") == 0) print_accounts(a, accounts, count);
    if (status == KUSTO_OK && strcmp(a->command, "logout") == 0)
        status = logout(client, a->command_arg, accounts, count, &err);
    if (status != KUSTO_OK && (err || status != KUSTO_E_ARGUMENT)) report(status, err);
    kusto_accounts_free(accounts, count);
    kusto_error_free(err);
    kusto_client_free(client);
    return exit_status(status);
}
