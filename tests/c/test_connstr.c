/* core/src/connstr.c: keywords, aliases, quoting, booleans, Data Source rules, masking; options.c. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "connstr.h"
#include "error.h"
#include "options.h"

static kusto_connstr *parse_ok(const char *text) {
    kusto_connstr *cs = NULL;
    kusto_error *err = NULL;
    kusto_status status = kusto_connstr_parse(&cs, text, &err);
    CHECK_INT(status, KUSTO_OK);
    if (err) fprintf(stderr, "unexpected error for [%s]: %s\n", text, kusto_error_message(err));
    kusto_error_free(err);
    return cs;
}

/* Parses `text` expecting `status`; returns the message (caller frees) and checks no result. */
static char *parse_fails(const char *text, kusto_status expected) {
    kusto_connstr *cs = (kusto_connstr *)&cs; /* must be reset to NULL */
    kusto_error *err = NULL;
    CHECK_INT(kusto_connstr_parse(&cs, text, &err), expected);
    CHECK(cs == NULL);
    CHECK(err != NULL);
    CHECK_INT(kusto_error_status(err), expected);
    char *message = strdup(kusto_error_message(err));
    kusto_error_free(err);
    return message;
}

static void test_keyword_table(void) {
    CHECK_STR(kusto_keyword_get(KW_DATA_SOURCE)->name, "Data Source");
    CHECK_STR(kusto_keyword_get(KW_APPLICATION_CLIENT_ID)->name, "Application Client Id");
    CHECK_STR(kusto_keyword_get(KW_APPLICATION_CERTIFICATE_ISSUER)->name,
              "Application Certificate Issuer Distinguished Name");
    CHECK_STR(kusto_keyword_get(KW_DATA_SOURCE)->aliases[3], "networkaddress");
    CHECK(kusto_keyword_get(KW_DATA_SOURCE)->aliases[4] == NULL);
    CHECK(kusto_keyword_get(KW_STREAMING)->aliases[0] == NULL);
    CHECK(kusto_keyword_get(KW_COUNT) == NULL);
    CHECK_INT(kusto_keyword_get(KW_AAD_FEDERATED_SECURITY)->is_bool, 1);
    CHECK_INT(kusto_keyword_get(KW_AAD_FEDERATED_SECURITY)->is_secret, 0);
    CHECK_INT(kusto_keyword_get(KW_APPLICATION_KEY)->is_secret, 1);
    CHECK_INT(kusto_keyword_get(KW_PASSWORD)->is_secret, 1);
    CHECK_INT(kusto_keyword_get(KW_USER_TOKEN)->is_secret, 1);
    CHECK_INT(kusto_keyword_get(KW_USER_ID)->is_secret, 0);
    CHECK_INT(kusto_keyword_get(KW_APPLICATION_CERTIFICATE_SEND_X5C)->is_bool, 1);
}

/* Every keyword and alias of core/data/kcsb.json is known, mapped to the keyword at its index. */
static void test_table_matches_kcsb_json(void) {
    FILE *f = fopen("core/data/kcsb.json", "rb");
    CHECK(f != NULL);
    if (!f) return;
    static char json[16384];
    size_t n = fread(json, 1, sizeof json - 1, f);
    fclose(f);
    json[n] = '\0';
    int index = -1, names = 0;
    for (char *p = json; (p = strstr(p, "\"name\": \"")) != NULL;) {
        p += 9;
        char *end = strchr(p, '"');
        *end = '\0';
        index++, names++;
        CHECK_INT(kusto_keyword_lookup(p), index);
        CHECK_STR(kusto_keyword_get((kusto_keyword)index)->name, p);
        char *aliases_end = strchr(end + 1, ']');
        for (char *a = strchr(end + 1, '"'); a && a < aliases_end; a = strchr(a + 1, '"')) {
            if (strncmp(a, "\"aliases\"", 9) == 0) {
                a += 9;
                continue;
            }
            char *alias_end = strchr(a + 1, '"');
            *alias_end = '\0';
            CHECK_INT(kusto_keyword_lookup(a + 1), index);
            a = alias_end;
        }
        p = aliases_end;
    }
    CHECK_INT(names, KW_COUNT);
}

static void test_lookup(void) {
    CHECK_INT(kusto_keyword_lookup("data source"), KW_DATA_SOURCE);
    CHECK_INT(kusto_keyword_lookup("DATASOURCE"), KW_DATA_SOURCE);
    CHECK_INT(kusto_keyword_lookup("data_source"), KW_DATA_SOURCE);
    CHECK_INT(kusto_keyword_lookup("cluster"), KW_DATA_SOURCE);
    CHECK_INT(kusto_keyword_lookup("Server"), KW_DATA_SOURCE);
    CHECK_INT(kusto_keyword_lookup("AaD User iD"), KW_USER_ID);
    CHECK_INT(kusto_keyword_lookup("client_id"), KW_APPLICATION_CLIENT_ID);
    CHECK_INT(kusto_keyword_lookup("application_client_id"), KW_APPLICATION_CLIENT_ID);
    CHECK_INT(kusto_keyword_lookup("client_secret"), KW_APPLICATION_KEY);
    CHECK_INT(kusto_keyword_lookup("application_key"), KW_APPLICATION_KEY);
    CHECK_INT(kusto_keyword_lookup("database"), KW_INITIAL_CATALOG);
    CHECK_INT(kusto_keyword_lookup("authority"), KW_AUTHORITY_ID);
    CHECK_INT(kusto_keyword_lookup("fed"), KW_AAD_FEDERATED_SECURITY);
    CHECK_INT(kusto_keyword_lookup("user_token"), KW_USER_TOKEN);
    CHECK_INT(kusto_keyword_lookup("Application Certificate SendX5c"), KW_APPLICATION_CERTIFICATE_SEND_X5C);
    CHECK_INT(kusto_keyword_lookup("nope"), -1);
    CHECK_INT(kusto_keyword_lookup("data sourc"), -1);
    CHECK_INT(kusto_keyword_lookup("data sourcex"), -1);
    CHECK_INT(kusto_keyword_lookup(""), -1);
    CHECK_INT(kusto_keyword_lookup(NULL), -1);
    CHECK_INT(kusto_keyword_lookup("ca_file"), -1);
}

static void test_basic_parse(void) {
    kusto_connstr *cs = parse_ok(" Data Source = https://help.kusto.windows.net ; Initial Catalog=Samples;"
                                 "AAD Federated Security=True;Application Client Id=app;Application Key=s3cr3t;"
                                 "Authority Id=contoso.com");
    CHECK_STR(kusto_connstr_value(cs, KW_DATA_SOURCE), "https://help.kusto.windows.net");
    CHECK_STR(kusto_connstr_value(cs, KW_INITIAL_CATALOG), "Samples");
    CHECK_STR(kusto_connstr_get(cs, "database"), "Samples");
    CHECK_STR(kusto_connstr_get(cs, "appkey"), "s3cr3t");
    CHECK_STR(kusto_connstr_get(cs, "tenant"), "contoso.com");
    CHECK_STR(kusto_connstr_get(cs, "Password"), NULL);
    CHECK_STR(kusto_connstr_get(cs, "unknown"), NULL);
    CHECK_INT(kusto_connstr_flag(cs, KW_AAD_FEDERATED_SECURITY), 1);
    CHECK_INT(kusto_connstr_flag(cs, KW_STREAMING), 0);
    char *text = kusto_connstr_to_string(cs);
    CHECK_STR(text, "Data Source=https://help.kusto.windows.net;Application Key=****;Initial Catalog=Samples;"
                    "AAD Federated Security=True;Authority Id=contoso.com;Application Client Id=app");
    CHECK(text && !strstr(text, "s3cr3t"));
    free(text);
    kusto_connstr_free(cs);
}

/* A certificate's thumbprint is public: shown, while the key beside it is masked. */
static void test_thumbprint_is_not_masked(void) {
    kusto_connstr *cs = parse_ok("Data Source=https://c.kusto.windows.net;appcert=0A1B2C3D;Application Key=s3cr3t");
    char *text = kusto_connstr_to_string(cs);
    CHECK_STR(text, "Data Source=https://c.kusto.windows.net;Application Certificate Thumbprint=0A1B2C3D;"
                    "Application Key=****");
    free(text);
    kusto_connstr_free(cs);
}

static void test_entries(void) {
    kusto_connstr *cs = parse_ok("pwd=hunter2;uid=me@example.com;addr=https://c.kusto.windows.net");
    const char *keyword = NULL, *value = NULL;
    CHECK_INT(kusto_connstr_entry(cs, 0, &keyword, &value, 0), 1);
    CHECK_STR(keyword, "Data Source");
    CHECK_STR(value, "https://c.kusto.windows.net");
    CHECK_INT(kusto_connstr_entry(cs, 1, &keyword, &value, 0), 1);
    CHECK_STR(keyword, "Password");
    CHECK_STR(value, "****");
    CHECK_INT(kusto_connstr_entry(cs, 1, &keyword, &value, 1), 1);
    CHECK_STR(value, "hunter2");
    CHECK_INT(kusto_connstr_entry(cs, 2, &keyword, &value, 0), 1);
    CHECK_STR(keyword, "User ID");
    CHECK_STR(value, "me@example.com");
    CHECK_INT(kusto_connstr_entry(cs, 3, &keyword, &value, 0), 0);
    CHECK_INT(kusto_connstr_entry(NULL, 0, &keyword, &value, 0), 0);
    kusto_connstr_free(cs);
}

static void test_values_with_equals_and_repeats(void) {
    kusto_connstr *cs = parse_ok("Data Source=https://a.kusto.windows.net;AppKey=a=b=c;AppKey=x=y;;User ID=u;");
    CHECK_STR(kusto_connstr_value(cs, KW_APPLICATION_KEY), "x=y");
    CHECK_STR(kusto_connstr_value(cs, KW_USER_ID), "u");
    kusto_connstr_free(cs);
}

static void test_quoting(void) {
    kusto_connstr *cs = parse_ok("Data Source=https://a.kusto.windows.net;AppKey=\"a;b=c\";"
                                 "User ID='it''s me';Password=\"say \"\"hi\"\"\" ;Authority Id=\"\"");
    CHECK_STR(kusto_connstr_value(cs, KW_APPLICATION_KEY), "a;b=c");
    CHECK_STR(kusto_connstr_value(cs, KW_USER_ID), "it's me");
    CHECK_STR(kusto_connstr_value(cs, KW_PASSWORD), "say \"hi\"");
    CHECK_STR(kusto_connstr_value(cs, KW_AUTHORITY_ID), NULL);
    kusto_connstr_free(cs);

    /* A quote in the middle of a value is literal. */
    cs = parse_ok("User ID=o'brien;Application Name for Tracing=a\"b");
    CHECK_STR(kusto_connstr_value(cs, KW_USER_ID), "o'brien");
    CHECK_STR(kusto_connstr_value(cs, KW_APPLICATION_NAME_FOR_TRACING), "a\"b");
    char *text = kusto_connstr_to_string(cs);
    CHECK_STR(text, "User ID=\"o'brien\";Application Name for Tracing=\"a\"\"b\"");
    kusto_connstr *again = text ? parse_ok(text) : NULL;
    CHECK_STR(kusto_connstr_value(again, KW_USER_ID), "o'brien");
    CHECK_STR(kusto_connstr_value(again, KW_APPLICATION_NAME_FOR_TRACING), "a\"b");
    kusto_connstr_free(again);
    free(text);
    kusto_connstr_free(cs);

    /* to_string quotes values with ';' so the output parses back to the same values. */
    cs = parse_ok("User ID=\"a;b\";Initial Catalog=\" padded \"");
    text = kusto_connstr_to_string(cs);
    CHECK_STR(text, "User ID=\"a;b\";Initial Catalog=\" padded \"");
    free(text);
    kusto_connstr_free(cs);

    char *message = parse_fails("Data Source=https://a.kusto.windows.net;AppKey=\"abc;def", KUSTO_E_CONNSTR);
    CHECK_STR(message, "unterminated quote in the value of connection string keyword 'Application Key'");
    CHECK(!strstr(message, "abc"));
    free(message);
    message = parse_fails("Password='secret' tail;User ID=x", KUSTO_E_CONNSTR);
    CHECK(strstr(message, "'Password'") != NULL);
    CHECK(!strstr(message, "secret"));
    free(message);
}

static void test_booleans(void) {
    kusto_connstr *cs = parse_ok(
        "Fed=yes;Streaming=0;Uncompressed=TRUE;EnforceMfa=No;Accept=1;Query Consistency=false");
    CHECK_STR(kusto_connstr_value(cs, KW_AAD_FEDERATED_SECURITY), "True");
    CHECK_STR(kusto_connstr_value(cs, KW_STREAMING), "False");
    CHECK_STR(kusto_connstr_value(cs, KW_UNCOMPRESSED), "True");
    CHECK_STR(kusto_connstr_value(cs, KW_ENFORCE_MFA), "False");
    CHECK_STR(kusto_connstr_value(cs, KW_ACCEPT), "True");
    CHECK_STR(kusto_connstr_value(cs, KW_QUERY_CONSISTENCY), "False");
    CHECK_INT(kusto_connstr_flag(cs, KW_AAD_FEDERATED_SECURITY), 1);
    CHECK_INT(kusto_connstr_flag(cs, KW_STREAMING), 0);
    kusto_connstr_free(cs);

    char *message = parse_fails("Data Source=https://a.kusto.windows.net;fed=maybe", KUSTO_E_CONNSTR);
    CHECK_STR(message,
              "connection string keyword 'AAD Federated Security' expects a boolean (true/false), got 'maybe'");
    free(message);
    message = parse_fails("sendx5c=2", KUSTO_E_CONNSTR);
    CHECK(strstr(message, "'Application Certificate SendX5c'") && strstr(message, "'2'"));
    free(message);
}

static void test_errors(void) {
    char *message = parse_fails("Data Source=https://a.kusto.windows.net;Colour=blue", KUSTO_E_CONNSTR);
    CHECK_STR(message, "unknown connection string keyword 'Colour'");
    free(message);
    /* A ';' inside an unquoted secret: the tail has no '=', and must not be echoed. */
    message = parse_fails("Data Source=https://a.kusto.windows.net;AppKey=abc;tail-of-secret", KUSTO_E_CONNSTR);
    CHECK(!strstr(message, "tail-of-secret"));
    CHECK(strstr(message, "segment 3") != NULL);
    free(message);

    kusto_connstr *cs = (kusto_connstr *)&cs;
    CHECK_INT(kusto_connstr_parse(&cs, NULL, NULL), KUSTO_E_ARGUMENT);
    CHECK_INT(kusto_connstr_parse(&cs, "nope=1", NULL), KUSTO_E_CONNSTR);
    CHECK(cs == NULL);
}

static void test_empty_segments(void) {
    kusto_connstr *cs = parse_ok("");
    const char *keyword;
    CHECK_INT(kusto_connstr_entry(cs, 0, &keyword, NULL, 0), 0);
    char *text = kusto_connstr_to_string(cs);
    CHECK_STR(text, "");
    free(text);
    kusto_connstr_free(cs);
    cs = parse_ok(";; ;Fed=true;;User ID=;Password=\"\"");
    CHECK_STR(kusto_connstr_value(cs, KW_AAD_FEDERATED_SECURITY), "True");
    CHECK_STR(kusto_connstr_value(cs, KW_USER_ID), NULL);
    CHECK_STR(kusto_connstr_value(cs, KW_PASSWORD), NULL);
    kusto_connstr_free(cs);
}

static void test_data_source(void) {
    kusto_connstr *cs = parse_ok("https://c.kusto.windows.net;Fed=True");
    CHECK_STR(kusto_connstr_value(cs, KW_DATA_SOURCE), "https://c.kusto.windows.net");
    kusto_connstr_free(cs);

    cs = parse_ok("https://c.kusto.windows.net/");
    CHECK_STR(kusto_connstr_value(cs, KW_DATA_SOURCE), "https://c.kusto.windows.net");
    CHECK_STR(kusto_connstr_value(cs, KW_INITIAL_CATALOG), NULL);
    kusto_connstr_free(cs);

    cs = parse_ok("Data Source=https://c.kusto.windows.net/MyDb/");
    CHECK_STR(kusto_connstr_value(cs, KW_DATA_SOURCE), "https://c.kusto.windows.net");
    CHECK_STR(kusto_connstr_value(cs, KW_INITIAL_CATALOG), "MyDb");
    kusto_connstr_free(cs);

    /* Initial Catalog after Data Source overrides the one from the path. */
    cs = parse_ok("Data Source=https://c.kusto.windows.net/MyDb;Initial Catalog=Other");
    CHECK_STR(kusto_connstr_value(cs, KW_DATA_SOURCE), "https://c.kusto.windows.net");
    CHECK_STR(kusto_connstr_value(cs, KW_INITIAL_CATALOG), "Other");
    kusto_connstr_free(cs);

    /* The SDK quirk: a catalog set first keeps the path in the URL. */
    cs = parse_ok("Initial Catalog=X;Data Source=https://c.kusto.windows.net/DB");
    CHECK_STR(kusto_connstr_value(cs, KW_DATA_SOURCE), "https://c.kusto.windows.net/DB");
    CHECK_STR(kusto_connstr_value(cs, KW_INITIAL_CATALOG), "X");
    kusto_connstr_free(cs);

    /* Two or more segments (proxy URLs) are kept whole. */
    cs = parse_ok("Data Source=https://ade.loganalytics.io/subscriptions/123/resourcegroups/rg/");
    CHECK_STR(kusto_connstr_value(cs, KW_DATA_SOURCE),
              "https://ade.loganalytics.io/subscriptions/123/resourcegroups/rg");
    CHECK_STR(kusto_connstr_value(cs, KW_INITIAL_CATALOG), NULL);
    kusto_connstr_free(cs);

    cs = parse_ok("Data Source=http://127.0.0.1:8080/db1");
    CHECK_STR(kusto_connstr_value(cs, KW_DATA_SOURCE), "http://127.0.0.1:8080");
    CHECK_STR(kusto_connstr_value(cs, KW_INITIAL_CATALOG), "db1");
    kusto_connstr_free(cs);
}

static void test_set(void) {
    kusto_connstr *cs = kusto_connstr_new_empty();
    kusto_error *err = NULL;
    CHECK_INT(kusto_connstr_set(cs, "cluster", "https://x.kusto.windows.net/Db", &err), KUSTO_OK);
    CHECK_STR(kusto_connstr_value(cs, KW_DATA_SOURCE), "https://x.kusto.windows.net");
    CHECK_STR(kusto_connstr_value(cs, KW_INITIAL_CATALOG), "Db");
    CHECK_INT(kusto_connstr_set(cs, "client_secret", " sh ", &err), KUSTO_OK);
    CHECK_STR(kusto_connstr_value(cs, KW_APPLICATION_KEY), "sh");
    CHECK_INT(kusto_connstr_set(cs, "aad_federated_security", "yes", &err), KUSTO_OK);
    CHECK_STR(kusto_connstr_value(cs, KW_AAD_FEDERATED_SECURITY), "True");
    CHECK_INT(kusto_connstr_set(cs, "client_secret", NULL, &err), KUSTO_OK);
    CHECK_STR(kusto_connstr_value(cs, KW_APPLICATION_KEY), NULL);
    CHECK_INT(kusto_connstr_set(cs, "Streaming", "true", &err), KUSTO_OK);
    CHECK_INT(kusto_connstr_set(cs, "Streaming", " ", &err), KUSTO_OK);
    CHECK_STR(kusto_connstr_value(cs, KW_STREAMING), NULL);
    CHECK(err == NULL);

    CHECK_INT(kusto_connstr_set(cs, "timeout", "10", &err), KUSTO_E_CONNSTR);
    CHECK_STR(kusto_error_message(err), "unknown connection string keyword 'timeout'");
    kusto_error_free(err);
    err = NULL;
    CHECK_INT(kusto_connstr_set(cs, "fed", "sure", &err), KUSTO_E_CONNSTR);
    CHECK_INT(kusto_error_status(err), KUSTO_E_CONNSTR);
    kusto_error_free(err);
    CHECK_STR(kusto_connstr_value(cs, KW_AAD_FEDERATED_SECURITY), "True");
    kusto_connstr_free(cs);
    kusto_connstr_free(NULL);
    CHECK(kusto_connstr_to_string(NULL) == NULL);
}

static void test_options(void) {
    kusto_options *opts = NULL;
    CHECK_INT(kusto_options_new(&opts), KUSTO_OK);
    CHECK_INT(kusto_options_count(opts), 0);
    CHECK_INT(kusto_options_set(opts, "client_id", "app"), KUSTO_OK);
    CHECK_INT(kusto_options_set(opts, "client_secret", "s"), KUSTO_OK);
    CHECK_INT(kusto_options_set(opts, "timeout", NULL), KUSTO_OK);
    CHECK_INT(kusto_options_set(opts, "client_id", "app2"), KUSTO_OK);
    for (int i = 0; i < 20; i++) CHECK_INT(kusto_options_set(opts, "ca_file", "/x.pem"), KUSTO_OK);
    CHECK_INT(kusto_options_set(opts, NULL, "x"), KUSTO_E_ARGUMENT);
    CHECK_INT(kusto_options_set(opts, "", "x"), KUSTO_E_ARGUMENT);
    CHECK_INT(kusto_options_set(NULL, "a", "x"), KUSTO_E_ARGUMENT);
    CHECK_INT(kusto_options_count(opts), 24);
    CHECK_STR(kusto_options_name(opts, 0), "client_id");
    CHECK_STR(kusto_options_value(opts, 0), "app");
    CHECK_STR(kusto_options_name(opts, 1), "client_secret");
    CHECK_STR(kusto_options_value(opts, 1), "s");
    CHECK_STR(kusto_options_name(opts, 2), "timeout");
    CHECK_STR(kusto_options_value(opts, 2), NULL);
    CHECK_STR(kusto_options_value(opts, 3), "app2");
    CHECK_STR(kusto_options_name(opts, 23), "ca_file");
    CHECK_STR(kusto_options_name(opts, 24), NULL);
    CHECK_STR(kusto_options_value(opts, 24), NULL);
    CHECK_INT(kusto_options_count(NULL), 0);
    kusto_options_free(opts);
    kusto_options_free(NULL);
    CHECK_INT(kusto_options_new(NULL), KUSTO_E_ARGUMENT);
}

/* Found by fuzz/fuzz_connstr: an empty value made the printer read before the string. */
static void test_empty_value_prints_without_reading_outside_it(void) {
    kusto_connstr *cs = NULL;
    CHECK_INT(kusto_connstr_parse(&cs, "/", NULL), KUSTO_OK);
    char *text = cs ? kusto_connstr_to_string(cs) : NULL;
    CHECK_STR(text, "Data Source=");
    free(text);
    kusto_connstr_free(cs);
}

int main(void) {
    test_empty_value_prints_without_reading_outside_it();
    test_keyword_table();
    test_table_matches_kcsb_json();
    test_thumbprint_is_not_masked();
    test_lookup();
    test_basic_parse();
    test_entries();
    test_values_with_equals_and_repeats();
    test_quoting();
    test_booleans();
    test_errors();
    test_empty_segments();
    test_data_source();
    test_set();
    test_options();
    CHECK_DONE();
}
