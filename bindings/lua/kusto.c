/* The Lua module `kusto`: one-shot calls, the client constructor, and datetime/timespan helpers.
   See klua.h for the pieces and README.md ("Lua") for the reference. */
#include <stdlib.h>

#include "klua.h"

/* Calls method `name` of the client on top of the stack with the values at the stack indices `args` (`count`
   of them), closes the client, and returns the method's results. */
static int call_and_close(lua_State *L, const char *name, const int *args, int count)
{
    int client = lua_gettop(L), results;
    lua_getfield(L, client, name);
    lua_pushvalue(L, client);
    for (int i = 0; i < count; i++)
        lua_pushvalue(L, args[i]);
    lua_call(L, count + 1, LUA_MULTRET);
    results = lua_gettop(L) - client;
    lua_getfield(L, client, "close");
    lua_pushvalue(L, client);
    lua_call(L, 1, 0);
    return results;
}

/* kusto.acquire_token(cs, opts) → token table, or nil, err; opts as kusto.client's, and cancel. */
static int l_acquire_token(lua_State *L)
{
    static const int opts[] = {2};
    lua_settop(L, 2);
    if (klua_client_open(L, 1, 2, 1) != 1)
        return 2;
    return call_and_close(L, "acquire_token", opts, 1);
}

/* opts.properties with opts.cancel, raw_ticks, strict, on_progress and int64 added (a new table: the
   caller's is not changed). */
static void push_call_properties(lua_State *L, int opts)
{
    static const char *const call_fields[] = {"cancel", "raw_ticks", "strict", "on_progress", "int64"};
    lua_newtable(L);
    if (!lua_istable(L, opts))
        return;
    lua_getfield(L, opts, "properties");
    if (!lua_isnil(L, -1) && !lua_istable(L, -1))
        luaL_error(L, "kusto: opts.properties must be a table, not %s", luaL_typename(L, -1));
    if (lua_istable(L, -1)) {
        lua_pushnil(L);
        while (lua_next(L, -2)) { /* copy, properties, key, value */
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_settable(L, -5);
        }
    }
    lua_pop(L, 1);
    for (size_t i = 0; i < sizeof call_fields / sizeof *call_fields; i++) {
        lua_getfield(L, opts, call_fields[i]);
        lua_setfield(L, -2, call_fields[i]);
    }
}

/* kusto.query(cs, db, csl, opts) and kusto.mgmt(cs, db, command, opts): the process's shared client for
   the connection string and options (kusto_client_shared), or with callbacks one of their own. */
static int run_once(lua_State *L, int mgmt)
{
    static const int args[] = {2, 3, 5}; /* db, csl, properties */
    luaL_optstring(L, 2, NULL);
    luaL_checkstring(L, 3);
    lua_settop(L, 4);
    push_call_properties(L, 4);
    if (klua_client_open(L, 1, 4, 1) != 1)
        return 2;
    return call_and_close(L, mgmt ? "mgmt" : "query", args, 3);
}

static int l_query(lua_State *L)
{
    return run_once(L, 0);
}

static int l_mgmt(lua_State *L)
{
    return run_once(L, 1);
}

/* kusto.datetime_ticks(text [, {int64 = ...}]) / kusto.timespan_ticks(...) → integer ticks (before Lua 5.3: as
   the int64 option says), or nil, err */
static int parse_ticks(lua_State *L, kusto_status (*parse)(const char *, size_t, int64_t *), const char *what)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    int64_t ticks;
    if (parse(text, len, &ticks) != KUSTO_OK) {
        lua_pushfstring(L, "not a Kusto %s: '%s'", what, text);
        return klua_fail(L, KUSTO_E_ARGUMENT, lua_tostring(L, -1));
    }
    klua_push_int64(L, ticks, klua_int64_mode(L, 2, KLUA_INT64_STRING));
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
    int64_t ticks = klua_check_int64(L, 1);
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
    const char *text = klua_check_text(L, 1, "the connection string");
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

/* kusto.clear_process_state(): forgets the shared clients and the kept metadata (kusto_process_state_clear). */
static int l_clear_process_state(lua_State *L)
{
    kusto_process_state_clear();
    return 0;
}

static const luaL_Reg functions[] = {
    {"acquire_token", l_acquire_token},
    {"query", l_query},
    {"mgmt", l_mgmt},
    {"client", klua_client_new},
    {"clear_process_state", l_clear_process_state},
    {"datetime_ticks", l_datetime_ticks},
    {"timespan_ticks", l_timespan_ticks},
    {"datetime_from_ticks", l_datetime_from_ticks},
    {"timespan_from_ticks", l_timespan_from_ticks},
    {"parse_connection_string", l_parse_connection_string},
    {"set_log", klua_set_log},
    {NULL, NULL},
};

__attribute__((visibility("default"))) int luaopen_kusto(lua_State *L)
{
    if (kusto_global_init() != KUSTO_OK)
        return luaL_error(L, "kusto: cannot initialise the library (out of memory)");
    klua_convert_register(L);
    klua_callback_register(L);
    klua_client_register(L);
    klua_op_register(L);
    klua_log_register(L);
    luaL_newlib(L, functions);
    klua_push_null(L);
    lua_setfield(L, -2, "null");
    lua_pushstring(L, kusto_version());
    lua_setfield(L, -2, "_VERSION");
    return 1;
}
