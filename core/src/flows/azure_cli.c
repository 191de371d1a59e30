/* Azure CLI: the token of the user signed in with `az login`, from `az account get-access-token`.
   The CLI is run without a shell, from PATH, with an argument vector and a deadline. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "platform.h"
#include "error.h"
#include "flows.h"
#include "token.h"

#define MAX_OUTPUT (1024 * 1024)

extern char **environ;

typedef struct cli_run {
    kusto_buf out; /* stdout: holds the token */
    kusto_buf err; /* stderr */
    int exit_status;
    int timed_out;
} cli_run;

/* Drains both pipes until they close or the deadline passes. 0, or -1 when out of memory. */
static int collect(int out_fd, int err_fd, int64_t deadline, cli_run *run) {
    struct pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    kusto_buf *bufs[2] = {&run->out, &run->err};
    int open_count = 2;
    while (open_count > 0) {
        int64_t left = deadline - kusto_now_ms();
        if (left <= 0) return run->timed_out = 1, 0;
        int ready = poll(fds, 2, (int)(left > 1000 ? 1000 : left));
        if (ready < 0 && errno != EINTR) return 0;
        for (int i = 0; i < 2 && ready > 0; i++) {
            if (fds[i].fd < 0 || !fds[i].revents) continue;
            char chunk[4096];
            ssize_t n = read(fds[i].fd, chunk, sizeof chunk);
            if (n > 0 && bufs[i]->len + (size_t)n <= MAX_OUTPUT && kusto_buf_append(bufs[i], chunk, (size_t)n)) {
                memset(chunk, 0, sizeof chunk);
                return -1;
            }
            memset(chunk, 0, sizeof chunk);
            if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
                fds[i].fd = -1;
                open_count--;
            }
        }
    }
    return 0;
}

static kusto_status run_cli(char *const argv[], int64_t deadline, cli_run *run, kusto_error **err) {
    int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
    if (kusto_pipe_private(out_pipe) != 0 || kusto_pipe_private(err_pipe) != 0) {
        for (int i = 0; i < 2; i++) {
            if (out_pipe[i] >= 0) close(out_pipe[i]);
            if (err_pipe[i] >= 0) close(err_pipe[i]);
        }
        return kusto_fail(err, KUSTO_E_AUTH, "cannot run the Azure CLI: %s", strerror(errno));
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
    pid_t pid;
    int spawn_error = posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out_pipe[1]);
    close(err_pipe[1]);
    int failed = spawn_error ? 0 : collect(out_pipe[0], err_pipe[0], deadline, run);
    close(out_pipe[0]);
    close(err_pipe[0]);
    if (spawn_error)
        return kusto_fail(err, KUSTO_E_AUTH, "cannot run the Azure CLI ('%s' on PATH): %s", argv[0],
                          strerror(spawn_error));
    if (run->timed_out || failed) kill(pid, SIGKILL);
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {}
    run->exit_status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    if (failed) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    if (run->timed_out)
        return kusto_fail(err, KUSTO_E_TIMEOUT, "the Azure CLI did not answer before the call's timeout");
    return KUSTO_OK;
}

/* The CLI's complaint: its first "ERROR:" line, else its first line. */
static kusto_status cli_error(const cli_run *run, kusto_error **err) {
    const char *text = run->err.data ? run->err.data : "";
    const char *line = strstr(text, "ERROR:");
    if (!line) line = text + strspn(text, " \t\r\n");
    int len = (int)strcspn(line, "\r\n");
    if (len > 500) len = 500;
    kusto_error *e = kusto_error_new(KUSTO_E_AUTH, "the Azure CLI could not give a token (exit status %d)%s%.*s",
                                     run->exit_status, len ? ": " : "", len, line);
    if (e) kusto_error_set_code(e, "azure_cli");
    return kusto_error_give(err, e);
}

/* expiresOn is local time "2024-05-01 12:34:56.123456"; newer CLIs also give expires_on in Unix seconds. */
static int64_t expiry_of(const cJSON *json) {
    const cJSON *unix_seconds = cJSON_GetObjectItemCaseSensitive(json, "expires_on");
    if (cJSON_IsNumber(unix_seconds)) return (int64_t)unix_seconds->valuedouble;
    if (cJSON_IsString(unix_seconds)) return strtoll(unix_seconds->valuestring, NULL, 10);
    const char *local = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "expiresOn"));
    struct tm tm = {.tm_isdst = -1};
    if (!local || sscanf(local, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                         &tm.tm_sec) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)mktime(&tm);
}

static kusto_status token_from_output(const kusto_flow_context *ctx, cli_run *run, kusto_token **out,
                                      kusto_error **err) {
    cJSON *json = run->out.len ? cJSON_ParseWithLength(run->out.data, run->out.len) : NULL;
    char *access = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "accessToken"));
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "tokenType"));
    int64_t expires_on = expiry_of(json);
    kusto_status status = KUSTO_OK;
    if (!access || expires_on <= 0)
        status = kusto_fail(err, KUSTO_E_PROTOCOL, "the Azure CLI's answer has no accessToken and expiry");
    else if (!(*out = kusto_token_new(access, type ? type : "Bearer", expires_on, ctx->resource, NULL)))
        status = kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    if (access) memset(access, 0, strlen(access));
    cJSON_Delete(json);
    return status;
}

static int names_a_tenant(const char *tenant) {
    return tenant && *tenant && strcmp(tenant, "organizations") != 0 && strcmp(tenant, "common") != 0 &&
           strcmp(tenant, "consumers") != 0;
}

kusto_status kusto_flow_azure_cli(const kusto_flow_context *ctx, const char *tenant, kusto_token **out,
                                  kusto_error **err) {
    *out = NULL;
    char *argv[] = {"az", "account", "get-access-token", "--resource", (char *)ctx->resource, "--output", "json", NULL,
                    NULL, NULL};
    if (names_a_tenant(tenant)) {
        argv[7] = "--tenant";
        argv[8] = (char *)tenant;
    }
    cli_run run = {{0}, {0}, 0, 0};
    kusto_status status = run_cli(argv, kusto_flow_request_deadline(ctx), &run, err);
    /* 127 without a word: what a shell, or a spawn that could not exec, reports for a missing command. */
    if (status == KUSTO_OK && run.exit_status == 127 && run.err.len == 0)
        status = kusto_fail(err, KUSTO_E_AUTH, "cannot run the Azure CLI ('az' on PATH): exit status 127, not found");
    else if (status == KUSTO_OK && run.exit_status != 0) status = cli_error(&run, err);
    if (status == KUSTO_OK) status = token_from_output(ctx, &run, out, err);
    kusto_buf_wipe(&run.out);
    kusto_buf_free(&run.err);
    return status;
}
