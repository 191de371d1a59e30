/* Azure AD token-endpoint answers → tokens or errors (core/src/token_response.c). */
#include <string.h>

#include "check.h"
#include "error.h"
#include "token.h"

static kusto_http_response answer(long status, const char *body) {
    kusto_http_response resp = {.status = status};
    kusto_buf_puts(&resp.body, body);
    return resp;
}

static void test_success_with_every_field(void) {
    kusto_http_response resp = answer(
        200, "{\"token_type\":\"Bearer\",\"expires_in\":3599,\"ext_expires_in\":7200,\"refresh_in\":1800,"
             "\"access_token\":\"at-value\",\"refresh_token\":\"rt-value\",\"id_token\":\"id.value.sig\","
             "\"client_info\":\"eyJ1aWQiOiJ1IiwidXRpZCI6InQifQ\",\"scope\":\"https://c/.default offline_access\"}");
    kusto_token *t = NULL;
    CHECK_INT(kusto_token_from_response(&t, &resp, 1000, "https://c", "https://login/t", NULL), KUSTO_OK);
    CHECK(t != NULL);
    if (t) {
        CHECK_STR(t->access_token, "at-value");
        CHECK_STR(t->token_type, "Bearer");
        CHECK_INT(t->expires_on, 4599);
        CHECK_INT(t->ext_expires_on, 8200);
        CHECK_INT(t->refresh_on, 2800);
        CHECK_STR(t->refresh_token, "rt-value");
        CHECK_STR(t->id_token, "id.value.sig");
        CHECK_STR(t->client_info, "eyJ1aWQiOiJ1IiwidXRpZCI6InQifQ");
        CHECK_STR(t->scope, "https://c/.default offline_access");
        CHECK_STR(t->resource, "https://c");
        CHECK_STR(t->authority, "https://login/t");
        kusto_token *copy = kusto_token_copy(t);
        CHECK(copy && strcmp(copy->refresh_token, "rt-value") == 0 && copy->refresh_on == 2800);
        kusto_token_free(copy);
    }
    kusto_token_free(t);
    kusto_buf_free(&resp.body);
}

static void test_expires_as_strings_and_expires_on(void) {
    kusto_http_response resp = answer(200, "{\"access_token\":\"a\",\"expires_in\":\"600\"}");
    kusto_token *t = NULL;
    CHECK_INT(kusto_token_from_response(&t, &resp, 100, "r", NULL, NULL), KUSTO_OK);
    CHECK(t && t->expires_on == 700 && t->refresh_token == NULL && t->refresh_on == 0);
    kusto_token_free(t);
    kusto_buf_free(&resp.body);
    resp = answer(200, "{\"access_token\":\"a\",\"expires_on\":\"1506484173\",\"resource\":\"r\"}");
    CHECK_INT(kusto_token_from_response(&t, &resp, 100, "r", NULL, NULL), KUSTO_OK);
    CHECK(t && t->expires_on == 1506484173);
    kusto_token_free(t);
    kusto_buf_free(&resp.body);
}

static void test_azure_ad_error(void) {
    kusto_http_response resp = answer(
        401,
        "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid client secret provided.\\r\\n"
        "Trace ID: abc\\r\\nCorrelation ID: def\",\"error_codes\":[7000215],\"correlation_id\":\"corr-1\"}");
    kusto_token *t = NULL;
    kusto_error *err = NULL;
    CHECK_INT(kusto_token_from_response(&t, &resp, 0, "r", NULL, &err), KUSTO_E_AUTH);
    CHECK(t == NULL);
    CHECK_STR(kusto_error_code(err), "invalid_client");
    CHECK_INT(kusto_error_aadsts(err), 7000215);
    CHECK_STR(kusto_error_request_id(err), "corr-1");
    CHECK_INT(kusto_error_http_status(err), 401);
    CHECK_STR(kusto_error_message(err),
              "Azure AD refused the sign-in (invalid_client): AADSTS7000215: Invalid client secret provided.");
    kusto_error_free(err);
    kusto_buf_free(&resp.body);
}

static void test_unreadable_answers(void) {
    kusto_http_response resp = answer(503, "<html>busy</html>");
    kusto_token *t = NULL;
    kusto_error *err = NULL;
    CHECK_INT(kusto_token_from_response(&t, &resp, 0, "r", NULL, &err), KUSTO_E_SERVICE);
    CHECK_INT(kusto_error_http_status(err), 503);
    CHECK(strstr(kusto_error_message(err), "HTTP 503") != NULL);
    kusto_buf_free(&resp.body);
    resp = answer(200, "{\"token_type\":\"Bearer\"}");
    CHECK_INT(kusto_token_from_response(&t, &resp, 0, "r", NULL, &err), KUSTO_E_PROTOCOL);
    kusto_buf_free(&resp.body);
    resp = answer(200, "");
    CHECK_INT(kusto_token_from_response(&t, &resp, 0, "r", NULL, &err), KUSTO_E_PROTOCOL);
    CHECK(strstr(kusto_error_message(err), "no body") != NULL);
    kusto_error_free(err);
    kusto_buf_free(&resp.body);
}

int main(void) {
    test_success_with_every_field();
    test_expires_as_strings_and_expires_on();
    test_azure_ad_error();
    test_unreadable_answers();
    CHECK_DONE();
}
