/*
 * libkusto: sign in to Azure Active Directory (Entra ID) and query Azure Data Explorer (Kusto).
 *
 * Conventions (see README.md, "C reference"):
 *  - Every function that can fail returns a kusto_status (0 = KUSTO_OK, negative = error class) and,
 *    when `err` is not NULL, stores a kusto_error that the caller owns and frees with kusto_error_free().
 *  - Out-parameters come first, `err` comes last.
 *  - Every kusto_x_new() has a kusto_x_free(); kusto_x_free(NULL) does nothing.
 *  - Strings passed in are copied; strings returned by accessors live as long as their handle.
 *  - Handles are not shared between threads without the caller's own locking, except kusto_client,
 *    whose functions may be called from several threads at once.
 */
#ifndef KUSTO_H
#define KUSTO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KUSTO_VERSION "0.1.0"

/*
 * KUSTO_EXTERN marks the public functions: the only symbols libkusto.so exports (the library is built with
 * -fvisibility=hidden). Define KUSTO_STATIC when compiling the core into another shared object (the Python
 * and Lua modules do) so it does not export them again. On Windows a DLL build defines KUSTO_BUILDING
 * (dllexport) and its users get dllimport; a static library's users define KUSTO_STATIC.
 */
#if defined(KUSTO_STATIC)
#define KUSTO_EXTERN
#elif defined(_WIN32)
#if defined(KUSTO_BUILDING)
#define KUSTO_EXTERN __declspec(dllexport)
#else
#define KUSTO_EXTERN __declspec(dllimport)
#endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#define KUSTO_EXTERN __attribute__((visibility("default")))
#else
#define KUSTO_EXTERN
#endif

/* ------------------------------------------------------------------------------------------------ */
/* Errors                                                                                            */

typedef enum kusto_status {
    KUSTO_OK = 0,
    KUSTO_E_ARGUMENT = -1,   /* a bad argument or option value */
    KUSTO_E_CONNSTR = -2,    /* malformed connection string, unknown or unsupported keyword */
    KUSTO_E_UNTRUSTED = -3,  /* a token would go to an untrusted host, or over plain http */
    KUSTO_E_NETWORK = -4,    /* connect, DNS, TLS or transfer failure */
    KUSTO_E_TIMEOUT = -5,    /* the call's deadline passed */
    KUSTO_E_AUTH = -6,       /* Azure AD refused the sign-in, or Kusto answered 401/403 */
    KUSTO_E_SERVICE = -7,    /* Kusto answered with an error */
    KUSTO_E_THROTTLED = -8,  /* HTTP 429 */
    KUSTO_E_PROTOCOL = -9,   /* the response is not what the protocol says (not JSON, truncated) */
    KUSTO_E_PARTIAL = -10,   /* the query failed part-way; rows delivered before stay valid */
    KUSTO_E_CANCELLED = -11, /* a callback asked to stop */
    KUSTO_E_NOMEM = -12,
    KUSTO_E_UNSUPPORTED = -13 /* known, but not supported by this version */
} kusto_status;

typedef struct kusto_error kusto_error;

/* A short fixed name for a status, e.g. "KUSTO_E_AUTH". Never NULL. */
KUSTO_EXTERN const char *kusto_status_name(kusto_status status);

KUSTO_EXTERN kusto_status kusto_error_status(const kusto_error *err);
/* Human-readable message; never contains a token, secret or password. Never NULL. */
KUSTO_EXTERN const char *kusto_error_message(const kusto_error *err);
/* Service code: Kusto's error "code" (e.g. "General_BadRequest") or Azure AD's "error"
   (e.g. "invalid_client"); NULL when there is none. */
KUSTO_EXTERN const char *kusto_error_code(const kusto_error *err);
/* Azure AD: the first AADSTS number (e.g. 7000215), else 0. */
KUSTO_EXTERN long kusto_error_aadsts(const kusto_error *err);
/* Kusto's "@permanent": 1 permanent, 0 transient, -1 not said. */
KUSTO_EXTERN int kusto_error_permanent(const kusto_error *err);
/* The HTTP status of the failed response, or 0. */
KUSTO_EXTERN int kusto_error_http_status(const kusto_error *err);
/* Kusto's client request id / activity id, or Azure AD's correlation id; NULL when unknown. */
KUSTO_EXTERN const char *kusto_error_request_id(const kusto_error *err);
KUSTO_EXTERN void kusto_error_free(kusto_error *err);

/* ------------------------------------------------------------------------------------------------ */
/* Library                                                                                           */

/* Idempotent and thread-safe; called by kusto_client_new(). Returns KUSTO_OK or KUSTO_E_NOMEM. */
KUSTO_EXTERN kusto_status kusto_global_init(void);
KUSTO_EXTERN const char *kusto_version(void);

/*
 * Logging: what the library does that a person debugging may want to see: the sign-in chosen, each step of
 * sign_in "default", token cache hits and misses, retries and their waits, throttling, redirects refused.
 * One callback for the process (all clients), called on the thread doing the work with a NUL-terminated
 * message that lives during the call; it must not call back into libkusto. Messages at `level` and above
 * are formatted; none ever holds a token, secret, password or a URL's query. `fn` NULL: no logging (the
 * default). A message may still reach the previous callback while it is being replaced: its `ud` must
 * outlive the change. Levels are Python's logging levels, so a binding passes them on as they are.
 */
typedef enum kusto_log_level {
    KUSTO_LOG_DEBUG = 10,
    KUSTO_LOG_INFO = 20,
    KUSTO_LOG_WARNING = 30,
    KUSTO_LOG_OFF = 100
} kusto_log_level;
typedef void (*kusto_log_callback)(void *ud, kusto_log_level level, const char *message);
KUSTO_EXTERN void kusto_set_log_callback(kusto_log_callback fn, void *ud, kusto_log_level level);

/* ------------------------------------------------------------------------------------------------ */
/* Connection strings (Kusto's format: "Data Source=https://c.kusto.windows.net;Fed=True;...")       */

typedef struct kusto_connstr kusto_connstr;

/* Parses `text`. Keywords and aliases are case- and space-insensitive; values may be quoted .NET
   style ("a;b", 'x', doubled quotes inside). A first segment without '=' is the Data Source. */
KUSTO_EXTERN kusto_status kusto_connstr_parse(kusto_connstr **out, const char *text, kusto_error **err);
KUSTO_EXTERN void kusto_connstr_free(kusto_connstr *cs);
/* Sets a value by keyword, alias or snake_case option name (see kusto_options_set). */
KUSTO_EXTERN kusto_status kusto_connstr_set(kusto_connstr *cs, const char *name, const char *value, kusto_error **err);
/* The value of a keyword (canonical name or alias), NULL when unset. Owned by `cs`. */
KUSTO_EXTERN const char *kusto_connstr_get(const kusto_connstr *cs, const char *keyword);
/* The canonical form "Keyword=value;..." with secret values shown as "****". Caller frees with free(). */
KUSTO_EXTERN char *kusto_connstr_to_string(const kusto_connstr *cs);
/* Iterates the keywords that are set, in table order: returns 0 past the end. Secret values are
   masked unless `unmasked` is 1. Strings are owned by `cs`. */
KUSTO_EXTERN int kusto_connstr_entry(const kusto_connstr *cs, size_t index, const char **keyword, const char **value,
                                     int unmasked);

/* ------------------------------------------------------------------------------------------------ */
/* Options: anything a connection string says, and more, by snake_case name                          */

typedef struct kusto_options kusto_options;

KUSTO_EXTERN kusto_status kusto_options_new(kusto_options **out);
KUSTO_EXTERN void kusto_options_free(kusto_options *opts);
/*
 * Sets an option. `name` is a connection-string keyword in snake_case (data_source, initial_catalog,
 * application_client_id, application_key, authority_id, user_token, application_token, ...) or one of:
 *   client_id, client_secret (same as application_client_id / application_key),
 *   database, cluster (initial_catalog / data_source),
 *   authority      full authority URL, e.g. https://login.microsoftonline.com/contoso.com
 *   ca_file        PEM CA bundle for every HTTPS call (token and query); KUSTO_E_ARGUMENT when unreadable
 *   timeout        seconds for a whole call: one deadline shared by the cloud metadata, discovery, sign-in
 *                  (retries, waits and device code polls included) and the query (without it: 10 s each for
 *                  metadata and discovery, 120 s per token request, servertimeout + 30 s for the query)
 *   trusted_hosts  comma-separated extra trusted hosts; ".suffix" matches a domain suffix
 *   sign_in        the sign-in method by name ("application_secret", "user_token", "application_token",
 *                  "application_certificate", "on_behalf_of", "user_password", "token_callback",
 *                  "device_code", "interactive", "shared_cache"); by default the first the connection string and options
 *                  give credentials for, else "interactive" when a person can answer (see below). Only by name:
 *                  "managed_identity", "workload_identity" (AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID,
 *                  AZURE_TENANT_ID, AZURE_AUTHORITY_HOST), "environment" (AZURE_CLIENT_ID, AZURE_TENANT_ID,
 *                  AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH [+ _PASSWORD,
 *                  AZURE_CLIENT_SEND_CERTIFICATE_CHAIN], AZURE_AUTHORITY_HOST) and "azure_cli" (`az account get-access-token`
 *                  from PATH, no shell, within `timeout`);
 *                  "default": the connection string's credentials when it gives some (as without sign_in),
 *                  else DefaultAzureCredential's chain, the first that gets a token (then kept):
 *                  environment, workload_identity, managed_identity (the default IMDS gets a 2 s probe),
 *                  shared_cache, azure_cli, and interactive only where a person can answer; else
 *                  KUSTO_E_AUTH listing what each step said, one line each
 *   certificate_path      application certificate: a PEM file (private key + certificate chain) or, when the
 *                         name ends .pfx/.p12, a PKCS#12 file (the connection string's Application Certificate
 *                         Blob may hold the PEM text instead). PEM assertions are RS256 with x5t, PFX ones PS256
 *                         with x5t#S256, as MSAL. Application Certificate Thumbprint, when given, must match.
 *   certificate_password  password of the PFX file (or of an encrypted PEM key)
 *   send_x5c       "true": send the certificate chain (x5c) for subject name + issuer authentication
 *   user_assertion on-behalf-of: the token a user sent to this application (with Application Client Id and
 *                  Application Key or a certificate); tokens are cached per user assertion
 *   interactive_timeout  seconds to wait for the browser in an interactive sign-in (default 120)
 *   aad_v1         "true": Azure AD v1 token endpoint ({authority}/oauth2/token, resource=) for
 *                  application sign-in, instead of v2 (scope={resource}/.default)
 *   managed_identity_client_id   client id of a user-assigned managed identity
 *   managed_identity_endpoint    full IMDS token URL (default: IMDS_ENDPOINT's host, else
 *                  http://169.254.169.254); App Service's IDENTITY_ENDPOINT + IDENTITY_HEADER win
 *                  when set and this option is not
 * Username/password (User ID + Password in the connection string, public client Application Client Id or
 * Kusto's db662dc1-0cfe-4e1c-a843-19a68e65be58) is deprecated by Microsoft: no MFA, no federated or personal
 * accounts. Prefer a certificate, device code or a token callback.
 *   proxy          proxy URL for every call (default: the https_proxy / no_proxy environment)
 *   max_retries    retries of a call that is safe to repeat (token requests, queries, ".show"
 *                  commands) after a transient failure, with backoff and jitter or the server's
 *                  Retry-After, within the call's timeout; default 3, 0 disables
 *   strict         "true": a cell that cannot become its column's type fails the call with
 *                  KUSTO_E_PROTOCOL instead of arriving in another form with a warning (see kusto_warning)
 *   max_response_bytes  stop with KUSTO_E_PROTOCOL once a result exceeds this many bytes;
 *                  default 0 = unlimited (error bodies are always capped at 8 MiB)
 *   cache          "memory" (default: tokens live as long as the client) or "file" (the per-user
 *                  token cache file, shared with other processes and with MSAL; see cache_path)
 *   cache_path     the token cache file; implies cache=file. Default $XDG_CACHE_HOME/libkusto/
 *                  msal_token_cache.json, else ~/.cache/libkusto/msal_token_cache.json
 *   azure_cli_cache  "true": share the Azure CLI's cache ($AZURE_CONFIG_DIR or ~/.azure, file
 *                  msal_token_cache.json); implies cache=file
 * Values are text: "true"/"false" for booleans, decimal for numbers. Unknown names fail with
 * KUSTO_E_ARGUMENT at kusto_client_new() naming the option.
 */
KUSTO_EXTERN kusto_status kusto_options_set(kusto_options *opts, const char *name, const char *value);

/*
 * Token callback (sign_in "token_callback"): the caller supplies tokens, e.g. from its own credential library.
 * Called on every request that needs a token, from the thread making it, with `resource` = the cluster's
 * token resource (e.g. "https://c.kusto.windows.net"); nothing is cached, so cache in the callback if getting a
 * token is slow. On success it returns 0 and sets *token_out to a malloc()ed NUL-terminated access token and
 * may set *expires_on_out (Unix seconds; left at 0 when unknown); the core wipes and frees the token. On
 * failure it returns non-zero and may set *message_out to a malloc()ed message (never a secret), which the
 * core frees: the request then fails with KUSTO_E_AUTH carrying that message. A callback makes the client
 * sign in even when the connection string does not say AAD Federated Security=True.
 */
typedef int (*kusto_token_callback)(void *ud, const char *resource, char **token_out, int64_t *expires_on_out,
                                    char **message_out);
/* Sets (or, with fn NULL, clears) the token callback; `ud` is passed back and must outlive the client. */
KUSTO_EXTERN kusto_status kusto_options_set_token_callback(kusto_options *opts, kusto_token_callback fn, void *ud);

/*
 * Sign-in flows that need a person: what they show, and how.
 *
 * Device code (sign_in "device_code"): Azure AD gives a short code that the person enters at
 * `verification_uri` from any browser, on any machine; libkusto polls until they have signed in.
 * The callback receives Azure AD's text and returns 0 to go on, non-zero to cancel the sign-in
 * (KUSTO_E_CANCELLED). Without a callback the message is printed to stderr. The strings live only
 * during the call; the callback runs on the thread that signs in.
 */
typedef struct kusto_device_code_info {
    const char *message;          /* "To sign in, use a web browser to open the page ... and enter the code ..." */
    const char *verification_uri; /* e.g. https://microsoft.com/devicelogin */
    const char *user_code;        /* what the person types, e.g. "FJ2KXMQ7" */
    int64_t expires_on;           /* Unix seconds: the code is refused after this */
} kusto_device_code_info;
typedef int (*kusto_device_code_callback)(void *ud, const kusto_device_code_info *info);
/* `fn` NULL restores the default (print to stderr). KUSTO_E_ARGUMENT when `opts` is NULL. */
KUSTO_EXTERN kusto_status kusto_options_set_device_code_callback(kusto_options *opts, kusto_device_code_callback fn,
                                                                 void *ud);

/*
 * Interactive (sign_in "interactive"): authorization code with PKCE over a loopback redirect.
 * libkusto listens on 127.0.0.1 (an ephemeral port) and opens `url` in a browser: $BROWSER, else
 * xdg-open (macOS: open); or, when a browser callback is set, hands the URL to it instead. The callback must not
 * wait for the sign-in to end (the listener answers only after it returns): it starts a browser and
 * returns 0, or returns non-zero to cancel (KUSTO_E_CANCELLED). The option "interactive_timeout"
 * bounds the wait for the browser (seconds, default 120; then KUSTO_E_TIMEOUT). A callback says a
 * person is there. Without one, someone can answer where a browser can appear: a display ($DISPLAY,
 * $WAYLAND_DISPLAY) or a $BROWSER, with or without a terminal (a Jupyter kernel or a GUI app has none);
 * where there is neither (CI, cron, services, a bare ssh session) the sign-in fails at once with
 * KUSTO_E_AUTH saying why.
 */
typedef int (*kusto_browser_callback)(void *ud, const char *url);
KUSTO_EXTERN kusto_status kusto_options_set_browser_callback(kusto_options *opts, kusto_browser_callback fn, void *ud);
/*
 * How the sign-in page is shown when no browser callback is set, in place of the default (the URL
 * printed to stderr, then $BROWSER or xdg-open (macOS: open) started). Called as a browser callback is (0: shown;
 * non-zero cancels), but it does not say a person is there: where nobody can answer the sign-in
 * still fails at once. The Python binding sets one that uses Python's webbrowser module. `fn` NULL
 * restores the default.
 */
KUSTO_EXTERN kusto_status kusto_options_set_browser_opener(kusto_options *opts, kusto_browser_callback fn, void *ud);

/*
 * Cancelling a sign-in (e.g. on Ctrl-C): asked at least once a second while a sign-in waits (the
 * device code's polls, the browser's answer, the pauses between retries and the token requests
 * themselves), on the thread that made the call; non-zero stops the call with KUSTO_E_CANCELLED.
 * A query's own waits ask its builder's `cancelled` instead. `fn` NULL: never cancelled.
 */
typedef int (*kusto_cancel_callback)(void *ud);
KUSTO_EXTERN kusto_status kusto_options_set_cancel_callback(kusto_options *opts, kusto_cancel_callback fn, void *ud);

/* ------------------------------------------------------------------------------------------------ */
/* Tokens                                                                                            */

typedef struct kusto_token kusto_token;

KUSTO_EXTERN const char *kusto_token_access_token(const kusto_token *t); /* the secret: never log it */
KUSTO_EXTERN const char *kusto_token_type(const kusto_token *t);         /* "Bearer" */
KUSTO_EXTERN int64_t kusto_token_expires_on(const kusto_token *t);       /* Unix seconds */
KUSTO_EXTERN const char *kusto_token_resource(const kusto_token *t);     /* e.g. https://c.kusto.windows.net */
KUSTO_EXTERN const char *kusto_token_authority(const kusto_token *t);    /* authority URL used, NULL if none */
KUSTO_EXTERN int kusto_token_from_cache(const kusto_token *t);           /* 1 when no request was made */
/* Wipes the secret and frees. */
KUSTO_EXTERN void kusto_token_free(kusto_token *t);

/* ------------------------------------------------------------------------------------------------ */
/* Results: typed values handed to a builder while the response arrives                              */

typedef enum kusto_type {
    KUSTO_TYPE_UNKNOWN = 0,
    KUSTO_TYPE_BOOL,
    KUSTO_TYPE_INT,
    KUSTO_TYPE_LONG,
    KUSTO_TYPE_REAL,
    KUSTO_TYPE_DECIMAL,
    KUSTO_TYPE_STRING,
    KUSTO_TYPE_DATETIME,
    KUSTO_TYPE_TIMESPAN,
    KUSTO_TYPE_GUID,
    KUSTO_TYPE_DYNAMIC
} kusto_type;

/* Lower-case Kusto name ("long", "datetime"...) of a type. */
KUSTO_EXTERN const char *kusto_type_name(kusto_type type);

typedef enum kusto_value_kind {
    KUSTO_VALUE_NULL = 0,
    KUSTO_VALUE_BOOL,     /* u.b: 0 or 1 */
    KUSTO_VALUE_INT,      /* u.i: int, long, and integral dynamic numbers */
    KUSTO_VALUE_REAL,     /* u.r: includes NaN and infinities */
    KUSTO_VALUE_STRING,   /* u.text: UTF-8, not NUL-terminated */
    KUSTO_VALUE_DECIMAL,  /* u.text: the exact decimal text, e.g. "2.00000000000001" */
    KUSTO_VALUE_DATETIME, /* u.ticks: 100 ns since 0001-01-01T00:00:00Z */
    KUSTO_VALUE_TIMESPAN, /* u.ticks: signed 100 ns units */
    KUSTO_VALUE_GUID,     /* u.text: 36 characters, as sent */
    KUSTO_VALUE_JSON      /* u.text: a dynamic value as JSON text (only when the builder has no
                             begin_array callback; otherwise dynamic values arrive as events) */
} kusto_value_kind;

typedef struct kusto_value {
    kusto_value_kind kind;
    union {
        int b;
        int64_t i;
        double r;
        int64_t ticks;
        struct {
            const char *ptr;
            size_t len;
        } text;
    } u;
} kusto_value;

typedef struct kusto_column {
    const char *name;
    kusto_type type;
    const char *type_name; /* as sent, e.g. "long" or "Int64" */
} kusto_column;

typedef struct kusto_table_info {
    int id;           /* TableId (v2) or ordinal (v1) */
    const char *name; /* "PrimaryResult", "@ExtendedProperties", "Table_0" ... */
    const char *kind; /* "PrimaryResult", "QueryProperties", "QueryCompletionInformation" ... */
    size_t column_count;
    const kusto_column *columns;
    int primary; /* 1 for a table of the query's own results (kind "PrimaryResult"), 0 for the others */
} kusto_table_info;

/*
 * A cell that could not become its column's type (a JSON object in a string column, an integer
 * beyond 64 bits in a long one, a datetime outside 0001..9999, malformed guid or decimal text...).
 * Unless the builder is strict, such a cell is delivered in the nearest lossless form instead and
 * reported here, once per table, column and reason, just before the table's end_table (or before a
 * failure is returned, for the table then open); at most KUSTO_MAX_WARNINGS per response:
 *   - a JSON value of another kind: as a dynamic cell would be (events, or KUSTO_VALUE_JSON text;
 *     a string as KUSTO_VALUE_STRING, a number as KUSTO_VALUE_INT or KUSTO_VALUE_REAL);
 *   - an integer beyond 64 bits in an int/long column: KUSTO_VALUE_DECIMAL with its exact digits;
 *   - datetime, timespan, guid or decimal text that cannot be read: KUSTO_VALUE_STRING, as sent.
 * "" in a datetime or timespan column is null, without a warning. Strings are as sent; a binding
 * that cannot hold one (invalid UTF-8 in Python) reports that itself. All pointers live only
 * during the call.
 */
#define KUSTO_MAX_WARNINGS 100
typedef struct kusto_warning {
    int table_id;
    const char *table; /* the table's name */
    size_t row;        /* the first row of the table it happened in, from 0 */
    size_t column;     /* from 0 */
    const char *column_name;
    const char *reason;  /* e.g. "a JSON object in a string column, delivered as its JSON value" */
    const char *excerpt; /* the start of that first cell as sent (at most 40 bytes of JSON) */
    size_t count;        /* how many cells of this column had this reason */
} kusto_warning;

/*
 * The builder: the parser calls these in order as bytes arrive. Pointers passed in are valid only
 * during the call. A callback returns 0 to go on, non-zero to stop the query (KUSTO_E_CANCELLED).
 * Any callback may be NULL. A dynamic cell arrives as begin_array/begin_object ... end_* with key()
 * and value() calls inside, or, when begin_array is NULL, as one KUSTO_VALUE_JSON value.
 *
 *   begin_table (begin_row value* end_row)* [replace_rows ...] warning* end_table   ... per table
 *   partial_error   an error reported inside the response; rows already delivered stay valid and
 *                   the query still ends with KUSTO_E_PARTIAL
 *   progress        between tables or rows, for each TableProgress frame
 * A v2 response must begin with DataSetHeader and end with DataSetCompletion, a v1 response must
 * have Tables: otherwise the call ends with KUSTO_E_PROTOCOL after the rows that came.
 *
 * `size` first: set it to sizeof(kusto_builder), e.g. `kusto_builder b = {.size = sizeof b, .value = on_value};`
 * (or zero the struct and set it). The library reads only the fields within `size`, so a program built
 * against an older kusto.h keeps working when later versions add fields at the end: those it did not know
 * count as NULL / 0. A size below the first layout's (through parse_in_background) fails the call with
 * KUSTO_E_ARGUMENT, and a newer program's fields that this version lacks, when set, with KUSTO_E_UNSUPPORTED.
 */
typedef struct kusto_builder {
    size_t size; /* sizeof(kusto_builder) as the caller was compiled */
    int (*begin_table)(void *ud, const kusto_table_info *table);
    int (*end_table)(void *ud);
    int (*begin_row)(void *ud);
    int (*end_row)(void *ud);
    int (*value)(void *ud, const kusto_value *value);
    int (*begin_array)(void *ud);
    int (*end_array)(void *ud);
    int (*begin_object)(void *ud);
    int (*key)(void *ud, const char *ptr, size_t len);
    int (*end_object)(void *ud);
    int (*replace_rows)(void *ud); /* progressive DataReplace: forget the current table's rows */
    int (*partial_error)(void *ud, const kusto_error *error);
    /* Called before and after each burst of the callbacks above (about once per network chunk), so
       a binding can hold its interpreter lock only while it builds values and release it while the
       network is waited on. Both or neither. */
    void (*enter)(void *ud);
    void (*leave)(void *ud);
    /* Asked about every 100 ms to 1 s while the call waits for the network or to retry (outside
       enter/leave): non-zero stops the call with KUSTO_E_CANCELLED, e.g. on Ctrl-C. May be NULL. */
    int (*cancelled)(void *ud);
    /* Non-zero: the transfer and the parse run on a worker thread while the calling thread replays
       their events into the callbacks above, in the same order, in bursts between enter and leave; so
       building values (an interpreter making objects) overlaps receiving and parsing on another core.
       Every callback still runs on the calling thread, and cancelled is asked at least every 100 ms.
       Statuses, messages, retries and timeouts are as without it. Costs a thread per call. */
    int parse_in_background;
    /* Added in 0.2, after the first layout (see `size`); any may be NULL / 0. */
    /* A cell delivered in another form than its column's type (see kusto_warning). */
    int (*warning)(void *ud, const kusto_warning *warning);
    /* TableProgress of a progressive query: `percent` (0..100) of table `table_id` done. */
    int (*progress)(void *ud, int table_id, double percent);
    /* Non-zero: a cell that cannot become its column's type fails the call with KUSTO_E_PROTOCOL
       instead of a warning (the client option "strict" does the same for every call). */
    int strict;
} kusto_builder;

/* Exact conversions between Kusto's text forms and 100 ns ticks. */
KUSTO_EXTERN kusto_status kusto_datetime_parse(const char *text, size_t len, int64_t *ticks);
KUSTO_EXTERN kusto_status kusto_timespan_parse(const char *text, size_t len, int64_t *ticks);
/* Write "YYYY-MM-DDTHH:MM:SS.fffffffZ" / "[-][d.]hh:mm:ss[.fffffff]" with a NUL; return the length.
   `buf` must hold 40 bytes. A datetime outside 0001-01-01..9999-12-31 writes "" and returns 0. */
KUSTO_EXTERN size_t kusto_datetime_format(int64_t ticks, char *buf);
KUSTO_EXTERN size_t kusto_timespan_format(int64_t ticks, char *buf);
#define KUSTO_TICKS_PER_SECOND INT64_C(10000000)
#define KUSTO_UNIX_EPOCH_TICKS INT64_C(621355968000000000)

/* ------------------------------------------------------------------------------------------------ */
/* Request properties                                                                                */

typedef struct kusto_request kusto_request;

KUSTO_EXTERN kusto_status kusto_request_new(kusto_request **out);
KUSTO_EXTERN void kusto_request_free(kusto_request *req);
/* Options go to properties.Options (e.g. "servertimeout" = "00:02:00", "notruncation" = true). */
KUSTO_EXTERN kusto_status kusto_request_set_option_string(kusto_request *req, const char *name, const char *value);
KUSTO_EXTERN kusto_status kusto_request_set_option_bool(kusto_request *req, const char *name, int value);
KUSTO_EXTERN kusto_status kusto_request_set_option_int(kusto_request *req, const char *name, int64_t value);
KUSTO_EXTERN kusto_status kusto_request_set_option_real(kusto_request *req, const char *name, double value);
/* Parameters go to properties.Parameters, for `declare query_parameters(...)`: `value` is the KQL
   literal text as is, and the query text must declare the parameter itself. */
KUSTO_EXTERN kusto_status kusto_request_set_parameter(kusto_request *req, const char *name, const char *value);
/*
 * Typed query parameters: each setter writes its value as a KQL literal into properties.Parameters and
 * records the Kusto type. A query sent with typed parameters gets `declare query_parameters(name:type,
 * ...);` put after its leading `set` statements, unless its text declares query_parameters itself (then
 * only the values are sent, for the types its author chose); a control command with typed parameters fails
 * with KUSTO_E_ARGUMENT. `name` must be a Kusto identifier (a letter or '_', then letters, digits, '_');
 * setting a name again replaces it. The request copies what it keeps. A name or value that cannot be sent
 * gives KUSTO_E_ARGUMENT and an error in `*err` (may be NULL; caller frees) naming the parameter, never
 * quoting its value.
 */
KUSTO_EXTERN kusto_status kusto_request_set_parameter_long(kusto_request *req, const char *name, int64_t value,
                                                           kusto_error **err);
/* Any double: NaN and +-infinity too (real(nan), real(+inf), real(-inf)); written to round-trip exactly. */
KUSTO_EXTERN kusto_status kusto_request_set_parameter_real(kusto_request *req, const char *name, double value,
                                                           kusto_error **err);
KUSTO_EXTERN kusto_status kusto_request_set_parameter_bool(kusto_request *req, const char *name, int value,
                                                           kusto_error **err);
/* `len` bytes of UTF-8 (NUL bytes and control characters allowed; invalid UTF-8 is refused). */
KUSTO_EXTERN kusto_status kusto_request_set_parameter_string(kusto_request *req, const char *name, const char *value,
                                                             size_t len, kusto_error **err);
/* 100 ns ticks since 0001-01-01T00:00:00Z, up to 9999-12-31T23:59:59.9999999Z. */
KUSTO_EXTERN kusto_status kusto_request_set_parameter_datetime(kusto_request *req, const char *name, int64_t ticks,
                                                               kusto_error **err);
/* 100 ns ticks, any int64_t. */
KUSTO_EXTERN kusto_status kusto_request_set_parameter_timespan(kusto_request *req, const char *name, int64_t ticks,
                                                               kusto_error **err);
/* The canonical text "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (hex digits, either case). */
KUSTO_EXTERN kusto_status kusto_request_set_parameter_guid(kusto_request *req, const char *name, const char *text,
                                                           kusto_error **err);
/* Decimal text: an optional sign, digits, optionally '.' and digits ("-12.50"); no exponent, NaN or infinity. */
KUSTO_EXTERN kusto_status kusto_request_set_parameter_decimal(kusto_request *req, const char *name, const char *text,
                                                              kusto_error **err);
/* `len` bytes of JSON text holding one value ("null" too); refused unless it is valid JSON. */
KUSTO_EXTERN kusto_status kusto_request_set_parameter_dynamic(kusto_request *req, const char *name, const char *json,
                                                              size_t len, kusto_error **err);
/* x-ms-client-request-id; default "KLC.execute;<uuid>". */
KUSTO_EXTERN kusto_status kusto_request_set_client_request_id(kusto_request *req, const char *id);
/* x-ms-app and x-ms-user tracing headers. */
KUSTO_EXTERN kusto_status kusto_request_set_application(kusto_request *req, const char *app);
KUSTO_EXTERN kusto_status kusto_request_set_user(kusto_request *req, const char *user);

/* ------------------------------------------------------------------------------------------------ */
/* Client                                                                                            */

typedef struct kusto_client kusto_client;

/* Parses `connstr`, applies `opts` (may be NULL) over it. Makes no request. */
KUSTO_EXTERN kusto_status kusto_client_new(kusto_client **out, const char *connstr, const kusto_options *opts,
                                           kusto_error **err);
/* kusto_client_free() frees a client of kusto_client_new(), and lets go of one of kusto_client_shared(). */
KUSTO_EXTERN void kusto_client_free(kusto_client *client);

/*
 * The process's client for `connstr` and `opts` (the same text and the same options in the same order):
 * its tokens, cloud metadata and connections serve every caller, so a script of one-shot calls signs in
 * once. Made at the first call and kept for the process; the caller lets go with kusto_client_free()
 * (the client stays). Options with a token, device-code or browser callback make a client of the
 * caller's own instead (those callbacks belong to it). A cancel callback and a browser opener in `opts`
 * serve this thread's calls on the shared client, until kusto_client_free(). After fork() the child makes its
 * own (the parent's connections are not used). Thread-safe.
 */
KUSTO_EXTERN kusto_status kusto_client_shared(kusto_client **out, const char *connstr, const kusto_options *opts,
                                              kusto_error **err);
/* Forgets the process's shared clients (each freed once no caller holds it) and the cloud metadata and
   OpenID configurations kept for the process (see kusto_client_shared; e.g. between tests, or to
   sign in afresh). */
KUSTO_EXTERN void kusto_process_state_clear(void);

/* A token for the cluster: from the token cache while it has more than 5 minutes left (renewed in
   the background of this call after its refresh_on, the cached one kept if renewal fails), else renewed
   silently with a cached refresh token, else by signing in. The first call checks the cluster is trusted
   (KUSTO_E_UNTRUSTED) and asks it for its cloud metadata (the resource). KUSTO_E_ARGUMENT when the
   connection string asks for no authentication. */
KUSTO_EXTERN kusto_status kusto_client_acquire_token(kusto_client *client, kusto_token **out, kusto_error **err);
/* A token for another resource, by the client's own sign-in and through its token cache, e.g. for
   azure-storage with the same identity: `scope` is "{resource}/.default" (as azure-core asks) or the
   resource itself ("https://storage.azure.com", "api://{app id}"); NULL or "" is the cluster's. The token
   is the caller's to send: the cluster's trusted check does not apply. KUSTO_E_UNSUPPORTED when the
   client's tokens are brought along (User Token, Application Token): they are for the cluster only. */
KUSTO_EXTERN kusto_status kusto_client_acquire_token_for(kusto_client *client, const char *scope, kusto_token **out,
                                                         kusto_error **err);

/*
 * The token cache (option "cache"): MSAL's unified JSON schema, so a file is shared with MSAL
 * applications and, with azure_cli_cache=true, the Azure CLI. A cache file must be a regular file
 * (not a symlink) owned by the user with mode 0600 (no group/other bits), in a directory others
 * cannot write: otherwise KUSTO_E_UNTRUSTED naming the path, and nothing is read. A file that is not
 * JSON is moved to "<file>.corrupt" with one warning on stderr and the cache starts empty.
 */
typedef struct kusto_account {
    char *home_account_id; /* "uid.utid" */
    char *username;        /* e.g. "user@contoso.com"; "" when unknown */
    char *environment;     /* the authority host, e.g. "login.microsoftonline.com" */
    char *realm;           /* the tenant */
} kusto_account;

/* The user accounts in the client's cache for its authority host (all when it signs in with nothing). */
KUSTO_EXTERN kusto_status kusto_client_accounts(kusto_client *client, kusto_account **out, size_t *count,
                                                kusto_error **err);
KUSTO_EXTERN void kusto_accounts_free(kusto_account *accounts, size_t count);
/* Signs an account out of the cache: its access, refresh and id tokens and account entries go. */
KUSTO_EXTERN kusto_status kusto_client_remove_account(kusto_client *client, const char *home_account_id,
                                                      kusto_error **err);
/* Removes every token and account from the client's cache (all of them, in a shared file). */
KUSTO_EXTERN kusto_status kusto_client_clear_cache(kusto_client *client, kusto_error **err);

/* POST /v2/rest/query. `db` NULL means the connection string's Initial Catalog (or NetDefaultDB);
   `req` may be NULL. Returns KUSTO_OK, KUSTO_E_PARTIAL (after partial_error calls), or an error.
   A control command (text starting with '.', after white space and // comments) goes to
   /v1/rest/mgmt instead, as kusto_client_mgmt. */
KUSTO_EXTERN kusto_status kusto_client_query(kusto_client *client, const char *db, const char *csl,
                                             const kusto_request *req, const kusto_builder *builder, void *ud,
                                             kusto_error **err);
/* POST /v1/rest/mgmt, for control commands (".show ..."). Same contract as kusto_client_query. */
KUSTO_EXTERN kusto_status kusto_client_mgmt(kusto_client *client, const char *db, const char *command,
                                            const kusto_request *req, const kusto_builder *builder, void *ud,
                                            kusto_error **err);

/* ------------------------------------------------------------------------------------------------ */
/* Without I/O: a query as a sequence of HTTP exchanges that the caller performs (event loops)       */

/*
 * A kusto_op is one query (or control command) whose requests the caller sends, e.g. over an event
 * loop's sockets (OpenResty cosockets, asyncio, luv), so nothing blocks. The core still decides
 * everything else, as kusto_client_query does: cloud metadata, trusted-endpoint checks, the token cache,
 * the sign-in's token requests, retries and their pauses, the query and the streamed parse of its answer
 * into the builder. The caller loops:
 *
 *     for (;;) switch (kusto_op_next(op, &r)) {
 *     case KUSTO_OP_SEND:   connect to r.host:r.port, TLS verifying r.tls_name against the client's
 *                           ca_file (or the system's CAs); send kusto_op_request_bytes(); then feed what
 *                           arrives to kusto_op_receive() until it returns non-zero (at EOF: len 0).
 *                           A connect, TLS or read failure: kusto_op_failed().
 *     case KUSTO_OP_WAIT:   wait r.wait_ms (a retry's pause, or while another op of the same client signs
 *                           in: ops of one client ask for one token, not one each), without blocking the loop.
 *     case KUSTO_OP_DONE:   status = kusto_op_result(op, &err); kusto_op_free(op); done.
 *     }
 *
 * Builder callbacks run inside kusto_op_receive()/kusto_op_end(), on the caller's thread. Sign-in flows
 * that need a person or a process (device code, interactive, the Azure CLI, sign_in=default) are refused
 * with KUSTO_E_UNSUPPORTED unless the token cache already answers; client secret, certificate, managed
 * identity, workload identity, user/password, on-behalf-of, a given token and the token callback work.
 * A token cache file is read and written (briefly locked) in place. Freeing an op at any point cancels
 * it: close its connection too. One op is used by one thread at a time; ops of one client may interleave.
 */
typedef struct kusto_op kusto_op;

typedef enum { KUSTO_OP_SEND = 1, KUSTO_OP_WAIT = 2, KUSTO_OP_DONE = 3 } kusto_op_step;

/* The next exchange; every pointer is owned by the op and valid until the next call on it. */
typedef struct kusto_op_request {
    const char *method; /* "GET" or "POST" */
    const char *url;    /* https://host[:port]/path?query (http only for loopback) */
    const char *host;   /* to connect to: a name or an IP literal (no brackets) */
    int port;
    const char *tls_name;       /* the name to verify: the host, or "localhost" for a loopback IP;
                                        NULL for plain http (loopback, the link-local identity endpoint) */
    const char *const *headers; /* "Name: value", NULL-terminated (Host and Content-Length excluded) */
    const char *body;           /* POST body, else NULL */
    size_t body_len;
    long timeout_ms; /* time left before the call's deadline; -1: none */
    long wait_ms;    /* KUSTO_OP_WAIT: how long to pause */
} kusto_op_request;

/* Starts a query, routed as kusto_client_query (a '.' command goes to /v1/rest/mgmt). Sends nothing.
   The client, the builder and its `ud` must outlive the op; `db`, `csl` and `req` are copied (`req` is
   read here only). The call's deadline (the client's `timeout` option) starts now. */
KUSTO_EXTERN kusto_status kusto_op_query(kusto_client *client, const char *db, const char *csl,
                                         const kusto_request *req, const kusto_builder *builder, void *ud,
                                         kusto_op **out, kusto_error **err);
/* The same for kusto_client_mgmt. */
KUSTO_EXTERN kusto_status kusto_op_mgmt(kusto_client *client, const char *db, const char *command,
                                        const kusto_request *req, const kusto_builder *builder, void *ud,
                                        kusto_op **out, kusto_error **err);
/* What to do next; fills `out` for SEND and WAIT. After DONE it keeps returning DONE. */
KUSTO_EXTERN kusto_op_step kusto_op_next(kusto_op *op, kusto_op_request *out);

/* For a caller that has only a socket: the current request as HTTP/1.1 bytes (Host, Content-Length and
   "Connection: keep-alive" added), owned by the op until the next call; and the answer's bytes as they
   arrive (len 0 at EOF). kusto_op_receive returns 0 for more bytes, 1 when the answer is whole (the
   connection may be kept only if kusto_op_keep_alive says so), -1 when the answer stopped short (close
   the connection; kusto_op_next says DONE when the op failed, or what comes next). A malformed answer
   is KUSTO_E_PROTOCOL. */
KUSTO_EXTERN void kusto_op_request_bytes(kusto_op *op, const char **data, size_t *len);
KUSTO_EXTERN int kusto_op_receive(kusto_op *op, const char *data, size_t len);
KUSTO_EXTERN int kusto_op_keep_alive(const kusto_op *op);

/* For a caller with an HTTP client of its own: the answer's status and headers ("Name: value",
   NULL-terminated), its body as it arrives (identity encoding), its end. Each returns 0, or -1 when the
   op failed (kusto_op_next then says DONE). */
KUSTO_EXTERN int kusto_op_head(kusto_op *op, long status, const char *const *headers);
KUSTO_EXTERN int kusto_op_body(kusto_op *op, const char *data, size_t len);
KUSTO_EXTERN int kusto_op_end(kusto_op *op);

/* The request could not be sent or its answer not read (connect, TLS, timeout, reset): `message` says
   how (no secret in it). `transient`: worth another attempt, as libcurl's reset or refused connection. */
KUSTO_EXTERN void kusto_op_failed(kusto_op *op, int transient, const char *message);

/* After DONE: KUSTO_OK, KUSTO_E_PARTIAL, or the error, as kusto_client_query would have returned
   (`*err` set on error; rows delivered before an error stay delivered). Once only. */
KUSTO_EXTERN kusto_status kusto_op_result(kusto_op *op, kusto_error **err);
/* Frees the op at any point (an unfinished one is abandoned: close its connection). NULL is fine. */
KUSTO_EXTERN void kusto_op_free(kusto_op *op);

/* ------------------------------------------------------------------------------------------------ */
/* Collected results: a convenience on top of the builder                                           */

typedef struct kusto_result kusto_result;
typedef struct kusto_table kusto_table;

/* Runs the query and keeps every table. On KUSTO_E_PARTIAL and KUSTO_E_PROTOCOL (a response cut off
   or malformed part-way) `*out` is still set, with the rows received before; free it. */
KUSTO_EXTERN kusto_status kusto_client_query_collect(kusto_client *client, const char *db, const char *csl,
                                                     const kusto_request *req, kusto_result **out, kusto_error **err);
KUSTO_EXTERN kusto_status kusto_client_mgmt_collect(kusto_client *client, const char *db, const char *command,
                                                    const kusto_request *req, kusto_result **out, kusto_error **err);
/* Parses a complete response body (v1 or v2) without I/O; `*out` as for kusto_client_query_collect. */
KUSTO_EXTERN kusto_status kusto_result_parse(kusto_result **out, const char *body, size_t len, kusto_error **err);
KUSTO_EXTERN void kusto_result_free(kusto_result *res);

KUSTO_EXTERN size_t kusto_result_table_count(const kusto_result *res);
KUSTO_EXTERN const kusto_table *kusto_result_table(const kusto_result *res, size_t index);
/* Partial errors reported inside the response. */
KUSTO_EXTERN size_t kusto_result_error_count(const kusto_result *res);
KUSTO_EXTERN const kusto_error *kusto_result_error(const kusto_result *res, size_t index);
/* Cells delivered in another form than their column's type (see kusto_warning); owned by `res`. */
KUSTO_EXTERN size_t kusto_result_warning_count(const kusto_result *res);
KUSTO_EXTERN const kusto_warning *kusto_result_warning(const kusto_result *res, size_t index);

KUSTO_EXTERN const kusto_table_info *kusto_table_info_of(const kusto_table *table);
KUSTO_EXTERN size_t kusto_table_row_count(const kusto_table *table);
/* Dynamic cells are KUSTO_VALUE_JSON. NULL when out of range. */
KUSTO_EXTERN const kusto_value *kusto_table_value(const kusto_table *table, size_t row, size_t column);

/* ------------------------------------------------------------------------------------------------ */
/* Arrow results: columns filled in C as rows arrive, handed out through the Arrow C Data Interface  */

/* The Arrow C Data and C Stream Interfaces, copied from the Arrow specification as it asks of its
   consumers (https://arrow.apache.org/docs/format/CDataInterface.html): a stable ABI, guarded so a
   program that includes Arrow's own copy first keeps it. */
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
    /* Array type description */
    const char *format;
    const char *name;
    const char *metadata;
    int64_t flags;
    int64_t n_children;
    struct ArrowSchema **children;
    struct ArrowSchema *dictionary;

    /* Release callback */
    void (*release)(struct ArrowSchema *);
    /* Opaque producer-specific data */
    void *private_data;
};

struct ArrowArray {
    /* Array data description */
    int64_t length;
    int64_t null_count;
    int64_t offset;
    int64_t n_buffers;
    int64_t n_children;
    const void **buffers;
    struct ArrowArray **children;
    struct ArrowArray *dictionary;

    /* Release callback */
    void (*release)(struct ArrowArray *);
    /* Opaque producer-specific data */
    void *private_data;
};

#endif /* ARROW_C_DATA_INTERFACE */

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE

struct ArrowArrayStream {
    /* Callbacks providing stream functionality */
    int (*get_schema)(struct ArrowArrayStream *, struct ArrowSchema *out);
    int (*get_next)(struct ArrowArrayStream *, struct ArrowArray *out);
    const char *(*get_last_error)(struct ArrowArrayStream *);

    /* Release callback */
    void (*release)(struct ArrowArrayStream *);

    /* Opaque producer-specific data */
    void *private_data;
};

#endif /* ARROW_C_STREAM_INTERFACE */

/*
 * Kusto types in Arrow (each field's metadata has "kusto:type", the type name as sent):
 *   long int64 · int int32 · real float64 (NaN is a value, null is null) · bool boolean · string utf8
 *   datetime timestamp[ns, UTC] from the exact 100 ns ticks · timespan duration[ns]
 *   guid fixed_size_binary(16) with extension "arrow.uuid" · dynamic utf8 JSON with extension "arrow.json"
 *   decimal utf8, the exact decimal text (Kusto decimals have no fixed scale; text loses nothing)
 *   any other type utf8, the text as sent.
 * A datetime or timespan outside the int64 nanosecond range (before 1677-09-21 or after 2262-04-11), and
 * a cell the parser delivered in another form (see kusto_warning) that a fixed-width column cannot hold,
 * are null with a warning; in a utf8 column such a cell is its text (a JSON value as JSON). The schema's
 * metadata has "kusto:table_name", "kusto:table_kind" and "kusto:table_id". A batch ends after
 * `batch_rows` rows or once a utf8 column holds 1 GiB, so int32 offsets always suffice.
 */
#define KUSTO_ARROW_BATCH_ROWS 65536

typedef struct kusto_arrow kusto_arrow;

/* A result collected as Arrow record batches of up to `batch_rows` rows (0: KUSTO_ARROW_BATCH_ROWS). */
KUSTO_EXTERN kusto_status kusto_arrow_new(kusto_arrow **out, size_t batch_rows);
/* The builder filling it: pass it with the kusto_arrow as `ud` to kusto_client_query or a parser.
   Its callbacks never call back into the caller, so they may run with any interpreter lock released. */
KUSTO_EXTERN const kusto_builder *kusto_arrow_builder(void);
/* Frees the kusto_arrow; streams and arrays exported from it stay valid until released. */
KUSTO_EXTERN void kusto_arrow_free(kusto_arrow *arrow);

KUSTO_EXTERN size_t kusto_arrow_table_count(const kusto_arrow *arrow);
/* Owned by `arrow`. */
KUSTO_EXTERN const kusto_table_info *kusto_arrow_table_info(const kusto_arrow *arrow, size_t index);
KUSTO_EXTERN size_t kusto_arrow_table_row_count(const kusto_arrow *arrow, size_t index);
/* The index of the first table of kind "PrimaryResult" (or the first table of a v1 response); -1 if none. */
KUSTO_EXTERN long kusto_arrow_primary_index(const kusto_arrow *arrow);
/* Fills `out` (caller releases it with out->release) with a stream of table `index`'s batches; any
   number of streams may be made, they share the batches. When `failure` is non-NULL, get_next
   returns EIO after the last batch and get_last_error gives failure's message: for a result whose
   call failed part-way. KUSTO_E_ARGUMENT for an index out of range. */
KUSTO_EXTERN kusto_status kusto_arrow_table_stream(kusto_arrow *arrow, size_t index, const kusto_error *failure,
                                                   struct ArrowArrayStream *out);
/* Fills `out` (caller releases) with table `index`'s schema: a struct of its columns. */
KUSTO_EXTERN kusto_status kusto_arrow_table_schema(const kusto_arrow *arrow, size_t index, struct ArrowSchema *out);
/* Warnings: the parser's (see kusto_warning) and the Arrow builder's own (a cell made null). Owned by `arrow`. */
KUSTO_EXTERN size_t kusto_arrow_warning_count(const kusto_arrow *arrow);
KUSTO_EXTERN const kusto_warning *kusto_arrow_warning(const kusto_arrow *arrow, size_t index);
/* Errors reported inside the response (partial_error). Owned by `arrow`. */
KUSTO_EXTERN size_t kusto_arrow_error_count(const kusto_arrow *arrow);
KUSTO_EXTERN const kusto_error *kusto_arrow_error(const kusto_arrow *arrow, size_t index);

/*
 * Writes `stream` (not released) in the Arrow IPC streaming format (what pyarrow.ipc.open_stream, polars and
 * DuckDB read) through `write`, which returns 0 when it took all `len` bytes. Takes the layouts the Arrow
 * builder makes. A stream that fails part-way: KUSTO_E_PROTOCOL with its message, after the batches before
 * (no end marker then, so a reader sees a stream cut short); `write` failing: KUSTO_E_NETWORK.
 */
KUSTO_EXTERN kusto_status kusto_arrow_write_ipc(struct ArrowArrayStream *stream,
                                                int (*write)(void *ud, const void *data, size_t len), void *ud,
                                                kusto_error **err);

/*
 * Runs a query (as kusto_client_query) into Arrow batches of `batch_rows` rows (0: the default) and
 * fills `stream` (caller releases) with the primary result's batches. KUSTO_OK, or on KUSTO_E_PARTIAL
 * and KUSTO_E_PROTOCOL (a response cut off or malformed part-way) the stream is filled too: it gives
 * the rows received, then get_next fails with the error's message. On any other error the stream is
 * not filled. The whole result is held as Arrow buffers until the stream is released; for every table,
 * warnings and errors use kusto_arrow_new + kusto_client_query with kusto_arrow_builder().
 */
KUSTO_EXTERN kusto_status kusto_client_query_arrow(kusto_client *client, const char *db, const char *csl,
                                                   const kusto_request *req, size_t batch_rows,
                                                   struct ArrowArrayStream *stream, kusto_error **err);

/*
 * Runs a query and fills `stream` (caller releases) with its first primary result while the response still
 * arrives: a worker thread receives, parses and builds, and get_next returns each batch of `batch_rows`
 * rows (0: the default) as soon as it is complete, waiting for it if need be. At most a few batches wait
 * unread (a slow reader slows the transfer), so memory is bounded by the batch size, not the result's.
 * Returns once the primary result has begun (its schema known): an error before that (service, network,
 * sign-in, no primary result) is returned here and the stream is not filled. An error part-way makes
 * get_next return EIO after the batches received, with the error's message from get_last_error; so does a
 * response with errors in it (KUSTO_E_PARTIAL) and a progressive response replacing rows already streamed.
 * Other tables (query properties, completion information, further primary results) are parsed and
 * dropped; warnings and the response's own error list are not kept (use kusto_client_query_arrow).
 * `db`, `csl` and `req` are copied; `client` must outlive the stream. Releasing the stream before its end
 * cancels the query and waits for the worker to stop. get_next and release are for one thread at a time.
 */
KUSTO_EXTERN kusto_status kusto_client_query_arrow_stream(kusto_client *client, const char *db, const char *csl,
                                                          const kusto_request *req, size_t batch_rows,
                                                          struct ArrowArrayStream *stream, kusto_error **err);

/*
 * A query's Arrow result handed over while the response still arrives: a worker thread receives, parses
 * and builds every table (as kusto_client_query with kusto_arrow_builder()), and kusto_arrow_live_next
 * gives this thread, in order, each table begun, each finished batch, a
 * table's rows replaced (a progressive result) and the end. A consumer that converts batches (into an
 * interpreter's values) so overlaps the transfer, the parse and the build. At most a few events wait
 * unread: a slow consumer slows the transfer, and memory holds a few batches, not the result.
 * `db`, `csl` and `req` are copied; `client` must outlive `*out`. KUSTO_E_NOMEM when the worker thread
 * cannot start; every error of the call itself comes from kusto_arrow_live_finish.
 */
typedef struct kusto_arrow_live kusto_arrow_live;

/* Flags of kusto_client_query_arrow_live. */
#define KUSTO_ARROW_STRICT 1u /* a cell that cannot become its column's type fails the call (builder.strict) */
/* Datetime and timespan columns hold Kusto's 100 ns ticks as int64 (datetime: since 0001-01-01), every
   value of Kusto's range, instead of nanoseconds since 1970: for a consumer that reads the batches itself
   (such batches do not match the table's Arrow schema; kusto_arrow_table_schema still says nanoseconds). */
#define KUSTO_ARROW_TICKS 2u

typedef enum kusto_arrow_live_kind {
    KUSTO_ARROW_LIVE_END,    /* the call ended: kusto_arrow_live_finish tells how */
    KUSTO_ARROW_LIVE_TABLE,  /* table `table` began, described by `info` */
    KUSTO_ARROW_LIVE_BATCH,  /* `batch` (the caller releases it) holds table `table`'s next rows */
    KUSTO_ARROW_LIVE_REPLACE /* table `table`'s rows so far are void: the rows that follow replace them */
} kusto_arrow_live_kind;

typedef struct kusto_arrow_live_event {
    kusto_arrow_live_kind kind;
    size_t table;                 /* the table's place among the response's tables, from 0 */
    const kusto_table_info *info; /* the table's description, owned by the live result */
    struct ArrowArray batch;      /* KUSTO_ARROW_LIVE_BATCH only: a struct array of the table's columns */
} kusto_arrow_live_event;

KUSTO_EXTERN kusto_status kusto_client_query_arrow_live(kusto_client *client, const char *db, const char *csl,
                                                        const kusto_request *req, size_t batch_rows, unsigned flags,
                                                        kusto_arrow_live **out, kusto_error **err);
/* Waits for the next event and fills `event`: KUSTO_OK, or KUSTO_E_NOMEM when a batch could not be
   exported (that batch is lost: a result read on would miss rows, so stop). After the end it keeps
   giving KUSTO_ARROW_LIVE_END. */
KUSTO_EXTERN kusto_status kusto_arrow_live_next(kusto_arrow_live *live, kusto_arrow_live_event *event);
/* After KUSTO_ARROW_LIVE_END: the call's status, with `*err` (caller frees) when it is not KUSTO_OK, and
   `*result` (owned by `live`; may be NULL) holding every table's description and row count, the warnings
   and the response's errors; its tables keep no batches (they were handed out). KUSTO_E_ARGUMENT before
   the end. */
KUSTO_EXTERN kusto_status kusto_arrow_live_finish(kusto_arrow_live *live, const kusto_arrow **result,
                                                  kusto_error **err);
/* Frees `live`; before the end this cancels the query and waits for the worker to stop. */
KUSTO_EXTERN void kusto_arrow_live_free(kusto_arrow_live *live);

/* ------------------------------------------------------------------------------------------------ */
/* One-shot helpers: a client made and freed around one call                                        */

KUSTO_EXTERN kusto_status kusto_acquire_token(kusto_token **out, const char *connstr, const kusto_options *opts,
                                              kusto_error **err);

#ifdef __cplusplus
}
#endif

#endif /* KUSTO_H */
