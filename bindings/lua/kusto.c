/* The Lua module `kusto`: one-shot calls, the client constructor, and datetime/timespan helpers.
   See klua.h for the pieces and README.md ("Lua") for the reference. */
#include <stdlib.h>

#include "klua.h"

static void free_token(void *p)
{
    kusto_token_free(p);
}

static void free_client(void *p)
{
    kusto_client_free(p);
}

/* kusto.acquire_token(cs, opts) → token table, or nil, err */
static int l_acquire_token(lua_State *L)
{
    const char *cs = luaL_checkstring(L, 1);
    kusto_options *opts;
    kusto_token **token;
    kusto_error *err = NULL;
    kusto_status st;

    lua_settop(L, 2);
    opts = klua_check_options(L, 2);
    klua_push_token_callback(L, 2, opts); /* kept on the stack for the call */
    token = (kusto_token **)klua_box(L, free_token);
    st = kusto_acquire_token(token, cs, opts, &err);
    if (st != KUSTO_OK)
        return klua_fail_with(L, st, &err);
    klua_push_token(L, *token);
    klua_box_free(L, -2); /* wipes the token's copy of the secret now, not at the next collection */
    return 1;
}

/* kusto.query(cs, db, csl, opts) and kusto.mgmt(cs, db, command, opts): a client for one call. */
static int run_once(lua_State *L, int mgmt)
{
    const char *cs = luaL_checkstring(L, 1);
    const char *db = luaL_optstring(L, 2, NULL);
    const char *text = luaL_checkstring(L, 3);
    kusto_options *opts;
    kusto_request *req;
    kusto_client **client;
    kusto_error *err = NULL;
    kusto_status st;
    int n, cancel;
    klua_call call;

    lua_settop(L, 4);
    opts = klua_check_options(L, 4);                         /* 5: options box */
    klua_push_token_callback(L, 4, opts);                    /* 6: token callback keeper or nil */
    if (lua_istable(L, 4))
        lua_getfield(L, 4, "properties");
    else
        lua_pushnil(L);                                      /* 7: opts.properties */
    if (!lua_isnil(L, 7) && !lua_istable(L, 7))
        return luaL_error(L, "kusto: opts.properties must be a table, not %s", luaL_typename(L, 7));
    req = klua_check_request(L, 7);                          /* 8: request box or nil */
    client = (kusto_client **)klua_box(L, free_client);      /* 9: client box */
    cancel = klua_push_cancel(L, 4);                         /* 10: opts.cancel or nil */
    st = kusto_client_new(client, cs, opts, &err);
    if (st != KUSTO_OK)
        return klua_fail_with(L, st, &err);
    call.client = *client;
    call.db = db;
    call.text = text;
    call.req = req;
    call.mgmt = mgmt;
    call.on_row = 0;
    call.cancel = cancel;
    call.raw_ticks = klua_raw_ticks(L, 4);
    n = klua_run(L, &call);
    klua_box_free(L, 9);
    return n;
}

static int l_query(lua_State *L)
{
    return run_once(L, 0);
}

static int l_mgmt(lua_State *L)
{
    return run_once(L, 1);
}

/* kusto.datetime_ticks(text) / kusto.timespan_ticks(text) → integer ticks, or nil, err */
static int parse_ticks(lua_State *L, kusto_status (*parse)(const char *, size_t, int64_t *), const char *what)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    int64_t ticks;
    if (parse(text, len, &ticks) != KUSTO_OK) {
        lua_pushfstring(L, "not a Kusto %s: '%s'", what, text);
        return klua_fail(L, KUSTO_E_ARGUMENT, lua_tostring(L, -1));
    }
    lua_pushinteger(L, (lua_Integer)ticks);
    return 1;
}

static int l_datetime_ticks(lua_State *L)
{
    return parse_ticks(L, kusto_datetime_parse, "datetime");
}

static int l_timespan_ticks(lua_State *L)
{
    return parse_ticks(L, kusto_timespan_parse, "timespan");
}

static int format_ticks(lua_State *L, size_t (*format)(int64_t, char *))
{
    char buf[40];
    int64_t ticks = (int64_t)luaL_checkinteger(L, 1);
    size_t len = format(ticks, buf);
    lua_pushlstring(L, buf, len);
    return 1;
}

static int l_datetime_from_ticks(lua_State *L)
{
    return format_ticks(L, kusto_datetime_format);
}

static int l_timespan_from_ticks(lua_State *L)
{
    return format_ticks(L, kusto_timespan_format);
}

static void free_connstr(void *p)
{
    kusto_connstr_free(p);
}

/* kusto.parse_connection_string(cs) → {["Data Source"] = ..., ...} with secrets masked, or nil, err */
static int l_parse_connection_string(lua_State *L)
{
    const char *text = luaL_checkstring(L, 1);
    kusto_connstr **cs = (kusto_connstr **)klua_box(L, free_connstr);
    kusto_error *err = NULL;
    kusto_status st = kusto_connstr_parse(cs, text, &err);
    const char *keyword, *value;
    size_t i;

    if (st != KUSTO_OK)
        return klua_fail_with(L, st, &err);
    lua_newtable(L);
    for (i = 0; kusto_connstr_entry(*cs, i, &keyword, &value, 0); i++) {
        lua_pushstring(L, value);
        lua_setfield(L, -2, keyword);
    }
    return 1;
}

static const luaL_Reg functions[] = {
    {"acquire_token", l_acquire_token},
    {"query", l_query},
    {"mgmt", l_mgmt},
    {"client", klua_client_new},
    {"datetime_ticks", l_datetime_ticks},
    {"timespan_ticks", l_timespan_ticks},
    {"datetime_from_ticks", l_datetime_from_ticks},
    {"timespan_from_ticks", l_timespan_from_ticks},
    {"parse_connection_string", l_parse_connection_string},
    {NULL, NULL},
};

__attribute__((visibility("default"))) int luaopen_kusto(lua_State *L)
{
    if (kusto_global_init() != KUSTO_OK)
        return luaL_error(L, "kusto: cannot initialise the library (out of memory)");
    klua_convert_register(L);
    klua_callback_register(L);
    klua_client_register(L);
    luaL_newlib(L, functions);
    klua_push_null(L);
    lua_setfield(L, -2, "null");
    lua_pushstring(L, kusto_version());
    lua_setfield(L, -2, "_VERSION");
    return 1;
}
