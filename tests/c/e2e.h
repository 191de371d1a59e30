/* Shared by the C end-to-end tests: the emulator's configuration (KUSTO_EMULATOR_CONFIG, its printed JSON
   line) and its request log (KUSTO_EMULATOR_LOG, one JSON record per request it received). See dev.sh. */
#ifndef KUSTO_E2E_H
#define KUSTO_E2E_H

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cJSON *config;

static char *read_file(const char *path) {
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = calloc(1, (size_t)size + 1);
    if (text && fread(text, 1, (size_t)size, f) != (size_t)size) text[0] = '\0';
    fclose(f);
    return text;
}

/* 0 when the configuration was read; else says why and returns 1 (main's exit status). */
static int load_config(void) {
    char *text = read_file(getenv("KUSTO_EMULATOR_CONFIG"));
    config = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (config) return 0;
    fprintf(stderr, "KUSTO_EMULATOR_CONFIG must name the emulator's configuration file\n");
    return 1;
}

static const char *cfg(const char *key) { return cJSON_GetStringValue(cJSON_GetObjectItem(config, key)); }

/* The log's records whose path starts with `prefix`, oldest first; the caller deletes the array. */
static cJSON *requests(const char *prefix) {
    char *log = read_file(getenv("KUSTO_EMULATOR_LOG"));
    cJSON *found = cJSON_CreateArray();
    for (char *line = log ? strtok(log, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        cJSON *record = cJSON_Parse(line);
        const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(record, "path"));
        if (path && strncmp(path, prefix, strlen(prefix)) == 0) cJSON_AddItemToArray(found, record);
        else cJSON_Delete(record);
    }
    free(log);
    return found;
}

/* How many requests the emulator has received whose path starts with `prefix`. */
static int requests_to(const char *prefix) {
    cJSON *found = requests(prefix);
    int count = cJSON_GetArraySize(found);
    cJSON_Delete(found);
    return count;
}

/* A call to the emulator's control API (`json` may be NULL): its HTTP status, 0 when it could not be made. */
static inline long control(const char *method, const char *path, const char *json) {
    char url[300];
    snprintf(url, sizeof url, "%s%s", cfg("control"), path);
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    FILE *sink = fopen("/dev/null", "w");
    long status = 0;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_CAINFO, cfg("ca_file"));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (json) curl_easy_setopt(curl, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, sink);
    if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    fclose(sink);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return status;
}

#endif
