/* The command line, as people type it: getopt_long (--format=csv, -xF csv, --), subcommands, --help. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char usage[] =
    "usage: kusto [OPTION]... QUERY|-        run a query (or a .command), print its primary result\n"
    "       kusto [OPTION]... -f FILE         run the queries of a file (blank line or ';' between them)\n"
    "       kusto [OPTION]...                 on a terminal: a prompt (\\? lists its commands)\n"
    "       kusto [OPTION]... login|logout [ACCOUNT]|accounts\n"
    "  -c, --connection-string CS  default: $KUSTO_CONNECTION_STRING\n"
    "  -d, --database DB           default: the connection string's Initial Catalog\n"
    "  -F, --format FORMAT         table (default), csv, json (JSON lines), markdown, tsv or arrow (the\n"
    "                              primary result as an Arrow IPC stream: pyarrow, polars, DuckDB)\n"
    "  -f, --file FILE             a script of queries (\"-\": standard input)\n"
    "  -x, --expanded              table and markdown: one record per row, a line per column\n"
    "      --null TEXT             how table and markdown show null (on a terminal: a dimmed \"null\")\n"
    "      --param NAME=VALUE      a query parameter (declare query_parameters), VALUE a KQL literal\n"
    "  -p NAME=VALUE               a request option (servertimeout, notruncation ...)\n"
    "  -o NAME=VALUE               a client option (timeout, authority, sign_in, cache ...)\n"
    "      --ca-file FILE          PEM CA bundle for every HTTPS call\n"
    "      --mgmt                  a control command (text starting with '.' is one anyway)\n"
    "      --no-cache              keep tokens in memory only (default: the per-user token cache file)\n"
    "      --timing                print each query's time on standard error\n"
    "  -v, --verbose               say on standard error what the library does (sign-in, retries);\n"
    "                              -vv also the token cache\n"
    "  -V, --version               print the versions and exit\n"
    "  -h, --help                  print this help and exit\n"
    "Exit status: 0, or the error class (1 argument, 2 connection string, 3 untrusted, 4 network,\n"
    "5 timeout, 6 auth, 7 service, 8 throttled, 9 protocol, 10 partial result, 13 unsupported).\n";

static const char examples[] =
    "Examples:\n"
    "  export KUSTO_CONNECTION_STRING='Data Source=https://help.kusto.windows.net;Fed=True'\n"
    "  kusto login                                   # sign in once; later runs use the token cache\n"
    "  kusto -d Samples 'StormEvents | take 10'\n"
    "  kusto -d Samples --format=csv StormEvents > storms.csv\n"
    "  kusto -d Samples --param 'n=5' 'declare query_parameters(n:long); StormEvents | take n'\n"
    "  kusto -d Samples -f report.kql -F markdown\n"
    "  kusto -d Samples -F arrow StormEvents > storms.arrows\n"
    "  kusto '.show databases'\n"
    "  kusto -d Samples                              # the prompt: \\db, \\format, \\x, \\timing, \\q\n";

enum { OPT_CA_FILE = 256, OPT_MGMT, OPT_PARAM, OPT_NULL, OPT_NO_CACHE, OPT_TIMING };

static const struct option long_options[] = {
    {"connection-string", required_argument, NULL, 'c'},
    {"database", required_argument, NULL, 'd'},
    {"format", required_argument, NULL, 'F'},
    {"file", required_argument, NULL, 'f'},
    {"expanded", no_argument, NULL, 'x'},
    {"null", required_argument, NULL, OPT_NULL},
    {"param", required_argument, NULL, OPT_PARAM},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {"mgmt", no_argument, NULL, OPT_MGMT},
    {"no-cache", no_argument, NULL, OPT_NO_CACHE},
    {"timing", no_argument, NULL, OPT_TIMING},
    {"verbose", no_argument, NULL, 'v'},
    {"version", no_argument, NULL, 'V'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int bad_usage(const char *message, const char *arg) {
    fprintf(stderr, "kusto: %s%s%s\n%s", message, arg ? ": " : "", arg ? arg : "", usage);
    return ARGS_BAD;
}

char *split_option(const char *option, const char **value) {
    const char *eq = strchr(option, '=');
    *value = eq + 1;
    return strndup(option, (size_t)(eq - option));
}

static int add_option(const char **list, size_t *count, const char *value) {
    if (!strchr(value, '=') || value[0] == '=') return bad_usage("expected NAME=VALUE", value);
    if (*count == MAX_OPTIONS) return bad_usage("too many options", NULL);
    list[(*count)++] = value;
    return ARGS_RUN;
}

static int set_format(args *a, const char *name) {
    a->format = format_by_name(name);
    if (a->format < 0) return bad_usage("unknown format", name);
    if (format_is_binary((format_id)a->format) && isatty(STDOUT_FILENO))
        return bad_usage("this format writes binary: redirect standard output", name);
    return ARGS_RUN;
}

/* -f was the format before it was the script: "-f csv" still means the format when no file csv exists. */
static int set_file(args *a, const char *path) {
    if (format_by_name(path) >= 0 && access(path, F_OK) != 0) return set_format(a, path);
    a->script = path;
    return ARGS_RUN;
}

static int option(args *a, int c, const char *value) {
    switch (c) {
    case 'c': a->connstr = value; return ARGS_RUN;
    case 'd': a->database = value; return ARGS_RUN;
    case 'F': return set_format(a, value);
    case 'f': return set_file(a, value);
    case 'x': a->expanded = 1; return ARGS_RUN;
    case 'v': a->verbose++; return ARGS_RUN;
    case 'o': return add_option(a->client_options, &a->client_option_count, value);
    case 'p': return add_option(a->request_options, &a->request_option_count, value);
    case OPT_PARAM: return add_option(a->params, &a->param_count, value);
    case OPT_NULL: a->null_text = value; return ARGS_RUN;
    case OPT_CA_FILE: a->ca_file = value; return ARGS_RUN;
    case OPT_MGMT: a->mgmt = 1; return ARGS_RUN;
    case OPT_NO_CACHE: a->no_cache = 1; return ARGS_RUN;
    case OPT_TIMING: a->timing = 1; return ARGS_RUN;
    case 'h': printf("%s\n%s", usage, examples); return ARGS_DONE;
    case 'V': printf("kusto %s (libkusto %s)\n", KUSTO_VERSION, kusto_version()); return ARGS_DONE;
    default: return ARGS_BAD;
    }
}

static int is_command(const char *word) {
    return !strcmp(word, "login") || !strcmp(word, "logout") || !strcmp(word, "accounts");
}

/* What follows the options: a subcommand and its argument, or one query. */
static int operands(args *a, int count, char **words) {
    if (count > 0 && is_command(words[0])) {
        if (a->format >= 0 && format_is_binary((format_id)a->format))
            return bad_usage("this format is for query results", words[0]);
        a->command = words[0];
        if (count > (strcmp(words[0], "logout") == 0 ? 2 : 1)) return bad_usage("too many arguments", words[1]);
        a->command_arg = count > 1 ? words[1] : NULL;
        return ARGS_RUN;
    }
    if (count > 1) return bad_usage("more than one query", words[1]);
    a->query = count ? words[0] : NULL;
    if (a->query && a->script) return bad_usage("a query and -f FILE", a->query);
    return ARGS_RUN;
}

static int unknown(char **argv, int c) {
    char short_option[3] = {'-', (char)optopt, 0};
    const char *last = argv[optind - 1];
    const char *what = !optopt || strncmp(last, "--", 2) == 0 ? last : short_option;
    return bad_usage(c == ':' ? "missing value after" : "unknown option", what);
}

int parse_args(args *a, int argc, char **argv) {
    a->connstr = getenv("KUSTO_CONNECTION_STRING");
    a->format = -1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":c:d:F:f:xvo:p:Vh", long_options, NULL)) != -1) {
        int rc = c == '?' || c == ':' ? unknown(argv, c) : option(a, c, optarg);
        if (rc != ARGS_RUN) return rc;
    }
    int rc = operands(a, argc - optind, argv + optind);
    if (rc != ARGS_RUN) return rc;
    if (!a->query && !a->script && !a->command && !(isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)))
        return bad_usage("no query given", NULL);
    if (!a->connstr || !*a->connstr) return bad_usage("no connection string (-c or KUSTO_CONNECTION_STRING)", NULL);
    return ARGS_RUN;
}
