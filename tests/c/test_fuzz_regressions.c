/* The inputs with which fuzzing found bugs (fuzz/seeds/<target>/regression-*), fed to the API as the
   fuzz targets feed them, with the right outcome asserted: `make check-asan` catches a regression of
   the fix (an out-of-bounds read, undefined behaviour) without clang or libFuzzer. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cache.h"
#include "check.h"
#include "files.h"
#include "error.h"
#include "kusto.h"
#include "token.h"

#define SEEDS "fuzz/seeds/"

/* fuzz_connstr: "/" is a Data Source with an empty value; printing it read the byte before it. */
static void test_connstr_empty_value(void) {
    size_t len = 0;
    char *text = read_whole_file(SEEDS "connstr/regression-empty-value", &len);
    CHECK_STR(text, "/");
    kusto_connstr *cs = NULL;
    CHECK_INT(kusto_connstr_parse(&cs, text ? text : "", NULL), KUSTO_OK);
    char *printed = cs ? kusto_connstr_to_string(cs) : NULL;
    CHECK_STR(printed, "Data Source=");
    free(printed);
    kusto_connstr_free(cs);
    free(text);
}

/* The v2 body of a fuzz_frames input (its first two bytes choose the chunk sizes), parsed whole. */
static kusto_status parse_frames(const char *body, size_t len, char **message) {
    kusto_result *res = NULL;
    kusto_error *err = NULL;
    kusto_status status = kusto_result_parse(&res, body, len, &err);
    *message = err ? kusto_strdup(kusto_error_message(err)) : NULL;
    CHECK((res != NULL) == (status == KUSTO_OK || status == KUSTO_E_PARTIAL || status == KUSTO_E_PROTOCOL));
    kusto_result_free(res);
    kusto_error_free(err);
    return status;
}

/* fuzz_frames: a long cell beyond int64 was converted from double without a range check. Such a cell
   now arrives as its exact digits (a decimal) with a warning; the seed's cut-off end is malformed. */
static void test_frames_huge_integer(void) {
    size_t len = 0;
    char *input = read_whole_file(SEEDS "frames/regression-huge-integer", &len), *message = NULL;
    CHECK(input && len > 2);
    if (!input || len <= 2) return;
    CHECK_INT(parse_frames(input + 2, len - 2, &message), KUSTO_E_PROTOCOL);
    CHECK_STR(message, "malformed JSON in a frame");
    free(message);
    free(input);

    static const char *const cells[] = {"9223372036859376389", "1e300", "-1e300"};
    for (size_t i = 0; i < 3; i++) {
        char body[512];
        snprintf(body, sizeof body,
                 "[{\"FrameType\":\"DataSetHeader\",\"IsProgressive\":false,\"Version\":\"v2.0\"},"
                 "{\"FrameType\":\"DataTable\",\"TableId\":1,\"TableKind\":\"PrimaryResult\",\"TableName\":\"T\","
                 "\"Columns\":[{\"ColumnName\":\"x\",\"ColumnType\":\"long\"}],\"Rows\":[[%s]]},"
                 "{\"FrameType\":\"DataSetCompletion\",\"HasErrors\":false,\"Cancelled\":false}]",
                 cells[i]);
        kusto_result *res = NULL;
        CHECK_INT(kusto_result_parse(&res, body, strlen(body), NULL), KUSTO_OK);
        const kusto_value *v = kusto_table_value(kusto_result_table(res, 0), 0, 0);
        CHECK(v && v->kind == KUSTO_VALUE_DECIMAL && v->u.text.len == strlen(cells[i]) &&
              memcmp(v->u.text.ptr, cells[i], v->u.text.len) == 0);
        CHECK_INT(kusto_result_warning_count(res), 1);
        const kusto_warning *w = kusto_result_warning(res, 0);
        CHECK_STR(w ? w->reason : NULL, "a number that is not a valid long");
        kusto_result_free(res);
    }
}

/* fuzz_frames: a frame without FrameType made the parser compute NULL + 0 (no input kept: this is it). */
static void test_frames_without_frame_type(void) {
    static const char *const bodies[] = {"[{}]", "[{\"Foo\":1}]"};
    for (size_t i = 0; i < 2; i++) {
        char *message = NULL;
        CHECK_INT(parse_frames(bodies[i], strlen(bodies[i]), &message), KUSTO_E_PROTOCOL);
        CHECK_STR(message, "a frame has no FrameType");
        free(message);
    }
}

/* A fuzz_token_response input: the first byte picks the HTTP status, the rest is the body. */
static kusto_status token_answer(const char *name, kusto_token **token, kusto_error **err) {
    static const long statuses[] = {200, 400, 401, 500};
    size_t len = 0;
    char *input = read_whole_file(name, &len);
    CHECK(input && len > 1);
    if (!input || len <= 1) return KUSTO_E_ARGUMENT;
    kusto_http_response resp;
    memset(&resp, 0, sizeof resp);
    resp.status = statuses[(unsigned char)input[0] % 4];
    kusto_buf_append(&resp.body, input + 1, len - 1);
    kusto_status status = kusto_token_from_response(token, &resp, 1700000000, "https://c.kusto.windows.net",
                                                    "https://login.microsoftonline.com/common", err);
    kusto_buf_free(&resp.body);
    free(input);
    return status;
}

/* fuzz_token_response: "error_codes":[70002E15] was converted to long out of range; no AADSTS then. */
static void test_token_huge_error_code(void) {
    kusto_token *t = NULL;
    kusto_error *err = NULL;
    CHECK_INT(token_answer(SEEDS "token_response/regression-huge-error-code", &t, &err), KUSTO_E_AUTH);
    CHECK(t == NULL);
    CHECK_STR(kusto_error_code(err), "invarefrelient");
    CHECK_INT(kusto_error_aadsts(err), 0);
    CHECK_INT(kusto_error_http_status(err), 400);
    CHECK_STR(kusto_error_message(err),
              "Azure AD refused the sign-in (invarefrelient): AAeret prDSex004t secret provided.");
    kusto_error_free(err);
}

/* fuzz_token_response: expires_in of 46 digits (a number, then a string) overflowed the expiry; an
   invalid expires_in now means the default lifetime, 600 s. */
static void test_token_huge_expiry(void) {
    static const char *const inputs[] = {SEEDS "token_response/regression-huge-expires-in",
                                         SEEDS "token_response/regression-huge-expires-on-string"};
    for (size_t i = 0; i < 2; i++) {
        kusto_token *t = NULL;
        kusto_error *err = NULL;
        CHECK_INT(token_answer(inputs[i], &t, &err), KUSTO_OK);
        CHECK(t && t->expires_on == 1700000000 + 600);
        if (i == 0) CHECK(t && t->ext_expires_on == 1700000000 + 3599);
        kusto_token_free(t);
        kusto_error_free(err);
    }
}

/* ---- fuzz_cache: the first byte picks writes (0 in these inputs), the rest is the cache file ------ */

static const kusto_cache_key app_key = {
    NULL, "login.microsoftonline.com", "contoso", "my_client_id", "https://c.kusto.windows.net/.default", NULL};

/* The access token the cache file `text` holds for app_key, looked up at 1700000000. */
static kusto_token *cached_token(const char *text, size_t len) {
    char dir[] = "/tmp/kusto-test-fuzz-XXXXXX", path[64];
    if (!mkdtemp(dir)) return NULL;
    snprintf(path, sizeof path, "%s/cache.json", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0 && write(fd, text, len) == (ssize_t)len);
    if (fd >= 0) close(fd);
    kusto_cache *cache = NULL;
    kusto_token *token = NULL;
    CHECK_INT(kusto_cache_new(&cache, path, NULL), KUSTO_OK);
    if (cache) CHECK_INT(kusto_cache_find_token(cache, &app_key, 1700000000, 300, &token, NULL), KUSTO_OK);
    kusto_cache_free(cache);
    unlink(path);
    rmdir(dir);
    return token;
}

/* An expires_on out of every range: a number (converted to int64 without a range check) or a string
   (then subtracted from now, overflowing). Such a token reads as expired. */
static void test_cache_timestamps_out_of_range(void) {
    static const char *const inputs[] = {SEEDS "cache/regression-huge-number-timestamp",
                                         SEEDS "cache/regression-negative-string-timestamp"};
    for (size_t i = 0; i < 2; i++) {
        size_t len = 0;
        char *input = read_whole_file(inputs[i], &len);
        CHECK(input && len > 1 && input[0] == '0');
        if (!input || len <= 1) continue;
        kusto_token *token = cached_token(input + 1, len - 1);
        CHECK(token == NULL);
        kusto_token_free(token);
        free(input);
    }
    /* the same entry with an expiry in range, as a number and as a string, is found */
    static const char *const expiries[] = {"1700003600", "\"1700003600\""};
    for (size_t i = 0; i < 2; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "{\"AccessToken\":{\"k\":{\"secret\":\"s\",\"environment\":\"login.microsoftonline.com\","
                 "\"realm\":\"contoso\",\"client_id\":\"my_client_id\","
                 "\"target\":\"https://c.kusto.windows.net/.default\",\"expires_on\":%s,\"refresh_on\":-5}}}",
                 expiries[i]);
        kusto_token *token = cached_token(text, strlen(text));
        CHECK(token && token->expires_on == 1700003600 && token->refresh_on == 0);
        kusto_token_free(token);
    }
}

int main(void) {
    test_connstr_empty_value();
    test_frames_huge_integer();
    test_frames_without_frame_type();
    test_token_huge_error_code();
    test_token_huge_expiry();
    test_cache_timestamps_out_of_range();
    CHECK_DONE();
}
