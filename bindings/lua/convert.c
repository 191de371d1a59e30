/* Lua values to and from the core's C objects: boxes, errors, options, request properties, tokens. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "klua.h"

typedef struct klua_box_data {
    void *ptr;
    void (*free_fn)(void *);
} klua_box_data;

void **klua_box(lua_State *L, void (*free_fn)(void *))
{
    klua_box_data *box = lua_newuserdata(L, sizeof *box);
    box->ptr = NULL;
    box->free_fn = free_fn;
    luaL_getmetatable(L, KLUA_BOX_MT);
    lua_setmetatable(L, -2);
    return &box->ptr;
}

void klua_box_free(lua_State *L, int index)
{
    klua_box_data *box = luaL_checkudata(L, index, KLUA_BOX_MT);
    if (box->ptr)
        box->free_fn(box->ptr);
    box->ptr = NULL;
}

static int box_gc(lua_State *L)
{
    klua_box_free(L, 1);
    return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* Errors                                                                                          */

void klua_set_string(lua_State *L, const char *field, const char *value)
{
    if (!value)
        return;
    lua_pushstring(L, value);
    lua_setfield(L, -2, field);
}

void klua_set_integer(lua_State *L, const char *field, lua_Integer value)
{
    lua_pushinteger(L, value);
    lua_setfield(L, -2, field);
}

void klua_push_error(lua_State *L, const kusto_error *err)
{
    int permanent = kusto_error_permanent(err);
    lua_createtable(L, 0, 8);
    klua_set_string(L, "status", kusto_status_name(kusto_error_status(err)));
    klua_set_string(L, "message", kusto_error_message(err));
    klua_set_string(L, "code", kusto_error_code(err));
    klua_set_string(L, "request_id", kusto_error_request_id(err));
    if (kusto_error_aadsts(err))
        klua_set_integer(L, "aadsts", kusto_error_aadsts(err));
    if (kusto_error_http_status(err))
        klua_set_integer(L, "http_status", kusto_error_http_status(err));
    if (permanent >= 0) {
        lua_pushboolean(L, permanent);
        lua_setfield(L, -2, "permanent");
    }
    luaL_getmetatable(L, KLUA_ERROR_MT);
    lua_setmetatable(L, -2);
}

int klua_fail(lua_State *L, kusto_status status, const char *message)
{
    lua_pushnil(L);
    lua_createtable(L, 0, 2);
    klua_set_string(L, "status", kusto_status_name(status));
    klua_set_string(L, "message", message);
    luaL_getmetatable(L, KLUA_ERROR_MT);
    lua_setmetatable(L, -2);
    return 2;
}

int klua_fail_with(lua_State *L, kusto_status status, kusto_error **err)
{
    if (!*err)
        return klua_fail(L, status, "out of memory while reporting an error");
    lua_pushnil(L);
    klua_push_error(L, *err);
    kusto_error_free(*err);
    *err = NULL;
    return 2;
}

static int error_tostring(lua_State *L)
{
    lua_getfield(L, 1, "message");
    lua_pushfstring(L, "kusto: %s", lua_isstring(L, -1) ? lua_tostring(L, -1) : "unknown error");
    return 1;
}

/* ---------------------------------------------------------------------------------------------- */
/* Option values as text                                                                           */

/* Pushes the text form of the value at `index`: booleans "true"/"false", numbers in decimal, lists
   joined with ','. Raises naming `what` otherwise. */
static const char *push_text(lua_State *L, int index, const char *what)
{
    char num[64];
    switch (lua_type(L, index)) {
    case LUA_TSTRING:
        lua_pushvalue(L, index);
        break;
    case LUA_TBOOLEAN:
        lua_pushstring(L, lua_toboolean(L, index) ? "true" : "false");
        break;
    case LUA_TNUMBER:
        if (lua_isinteger(L, index))
            snprintf(num, sizeof num, "%lld", (long long)lua_tointeger(L, index));
        else
            snprintf(num, sizeof num, "%.17g", (double)lua_tonumber(L, index));
        lua_pushstring(L, num);
        break;
    case LUA_TTABLE: {
        luaL_Buffer b;
        size_t i, n = lua_rawlen(L, index);
        int list = lua_gettop(L) + 1;
        lua_pushvalue(L, index);
        luaL_buffinit(L, &b);
        for (i = 1; i <= n; i++) {
            lua_rawgeti(L, list, (lua_Integer)i);
            if (lua_type(L, -1) != LUA_TSTRING)
                luaL_error(L, "kusto: %s must hold strings", what);
            if (i > 1)
                luaL_addchar(&b, ',');
            luaL_addvalue(&b);
        }
        luaL_pushresult(&b);
        lua_replace(L, list);
        break;
    }
    default:
        luaL_error(L, "kusto: %s must be a string, number, boolean or list of strings, not %s", what,
                   luaL_typename(L, index));
    }
    return klua_check_text(L, -1, what);
}

const char *klua_check_text(lua_State *L, int index, const char *what)
{
    size_t len;
    const char *text = luaL_checklstring(L, index, &len);
    if (memchr(text, '\0', len))
        luaL_error(L, "kusto: %s contains a NUL character", what);
    return text;
}

static const char *check_key(lua_State *L, int index, const char *what)
{
    if (lua_type(L, index) != LUA_TSTRING)
        luaL_error(L, "kusto: %s names must be strings, not %s", what, luaL_typename(L, index));
    return lua_tostring(L, index);
}

/* The names in an options or properties table that are the binding's own, not the core's: a call's entries
   (klua_run, klua_call_extras) in either table; the rest only in a client's options (client.c, callback.c). */
enum { OWN_IN_CALL = 1, OWN_IN_OPTIONS = 2 };
static const struct {
    const char *name;
    int where;
} OWN_NAMES[] = {
    {"cancel", OWN_IN_CALL | OWN_IN_OPTIONS}, {"raw_ticks", OWN_IN_CALL | OWN_IN_OPTIONS},
    {"strict", OWN_IN_CALL | OWN_IN_OPTIONS}, {"on_progress", OWN_IN_CALL | OWN_IN_OPTIONS},
    {"int64", OWN_IN_CALL | OWN_IN_OPTIONS},  {"properties", OWN_IN_OPTIONS},
    {"token_callback", OWN_IN_OPTIONS},       {"device_code_callback", OWN_IN_OPTIONS},
    {"browser_callback", OWN_IN_OPTIONS},
};

static int is_own_name(const char *name, int where)
{
    size_t i;
    for (i = 0; i < sizeof OWN_NAMES / sizeof OWN_NAMES[0]; i++)
        if (strcmp(OWN_NAMES[i].name, name) == 0)
            return (OWN_NAMES[i].where & where) != 0;
    return 0;
}

static void free_options(void *p)
{
    kusto_options_free(p);
}

kusto_options *klua_check_options(lua_State *L, int index)
{
    kusto_options **opts;
    int absent = lua_isnoneornil(L, index);
    index = lua_absindex(L, index);
    if (!absent)
        luaL_checktype(L, index, LUA_TTABLE);
    opts = (kusto_options **)klua_box(L, free_options);
    if (kusto_options_new(opts) != KUSTO_OK)
        luaL_error(L, "kusto: out of memory");
    if (absent)
        return *opts;
    lua_pushnil(L);
    while (lua_next(L, index)) {
        const char *name = check_key(L, -2, "option");
        if (!is_own_name(name, OWN_IN_OPTIONS)) {
            const char *value = push_text(L, -1, name);
            if (kusto_options_set(*opts, name, value) != KUSTO_OK)
                luaL_error(L, "kusto: cannot set option '%s'", name);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    return *opts;
}

/* ---------------------------------------------------------------------------------------------- */
/* Request properties                                                                              */

static void free_request(void *p)
{
    kusto_request_free(p);
}

static kusto_status set_typed_option(lua_State *L, kusto_request *req, const char *name, int index)
{
    switch (lua_type(L, index)) {
    case LUA_TBOOLEAN:
        return kusto_request_set_option_bool(req, name, lua_toboolean(L, index));
    case LUA_TNUMBER:
        if (lua_isinteger(L, index))
            return kusto_request_set_option_int(req, name, (int64_t)lua_tointeger(L, index));
        return kusto_request_set_option_real(req, name, (double)lua_tonumber(L, index));
    case LUA_TSTRING:
        return kusto_request_set_option_string(req, name, klua_check_text(L, index, name));
    default:
        return luaL_error(L, "kusto: property '%s' must be a string, number or boolean, not %s", name,
                          luaL_typename(L, index));
    }
}

/* Applies every name → value of the table at `index` with `set`. */
static void set_each(lua_State *L, kusto_request *req, int index, int parameters)
{
    lua_pushnil(L);
    while (lua_next(L, index)) {
        const char *name = check_key(L, -2, parameters ? "parameter" : "property");
        kusto_status st;
        if (parameters) {
            st = kusto_request_set_parameter(req, name, push_text(L, -1, name));
            lua_pop(L, 1);
        } else {
            st = set_typed_option(L, req, name, lua_gettop(L));
        }
        if (st != KUSTO_OK)
            luaL_error(L, "kusto: cannot set %s '%s'", parameters ? "parameter" : "property", name);
        lua_pop(L, 1);
    }
}

static int is_name(const char *name, const char *expected)
{
    return strcasecmp(name, expected) == 0;
}

/* One typed query parameter from the Lua value at `index`; the core writes the literal and the declare. */
static kusto_status set_typed_parameter(lua_State *L, kusto_request *req, const char *name, int index,
                                        kusto_error **err)
{
    size_t len;
    const char *text;
    switch (lua_type(L, index)) {
    case LUA_TBOOLEAN:
        return kusto_request_set_parameter_bool(req, name, lua_toboolean(L, index), err);
    case LUA_TNUMBER:
        if (lua_isinteger(L, index))
            return kusto_request_set_parameter_long(req, name, klua_check_int64(L, index), err);
        return kusto_request_set_parameter_real(req, name, (double)lua_tonumber(L, index), err);
    case LUA_TSTRING:
        text = lua_tolstring(L, index, &len);
        return kusto_request_set_parameter_string(req, name, text, len, err);
    case LUA_TLIGHTUSERDATA:
        if (!lua_touserdata(L, index)) /* kusto.null */
            return kusto_request_set_parameter_dynamic(req, name, "null", 4, err);
        break;
    case LUA_TTABLE: {
        const char *problem;
        char *json = klua_json_text(L, index, &problem);
        if (!json)
            return luaL_error(L, "kusto: query parameter '%s': %s", name, problem);
        kusto_status st = kusto_request_set_parameter_dynamic(req, name, json, strlen(json), err);
        klua_json_free(json);
        return st;
    }
    default:
        if (lua_type(L, index) > LUA_TTHREAD) /* LuaJIT's int64_t cdata */
            return kusto_request_set_parameter_long(req, name, klua_check_int64(L, index), err);
    }
    return luaL_error(L,
                      "kusto: query parameter '%s': a %s has no Kusto type (give an integer, number, boolean, "
                      "string, table or kusto.null)",
                      name, luaL_typename(L, index));
}

/* query_parameters = {name = value, ...}: typed query parameters. */
static void set_typed_parameters(lua_State *L, kusto_request *req, int index)
{
    luaL_checktype(L, index, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, index)) {
        kusto_error *err = NULL;
        char message[256];
        const char *name = check_key(L, -2, "query parameter");
        kusto_status st = set_typed_parameter(L, req, name, lua_gettop(L), &err);
        if (st != KUSTO_OK) {
            snprintf(message, sizeof message, "%s", err ? kusto_error_message(err) : kusto_status_name(st));
            kusto_error_free(err);
            luaL_error(L, "kusto: %s", message);
        }
        lua_pop(L, 1);
    }
}

static void set_property(lua_State *L, kusto_request *req, const char *name, int value)
{
    kusto_status st;
    if ((is_name(name, "Parameters") || is_name(name, "Options")) && lua_istable(L, value)) {
        set_each(L, req, value, is_name(name, "Parameters"));
        return;
    }
    if (strcmp(name, "query_parameters") == 0) {
        set_typed_parameters(L, req, value);
        return;
    }
    if (is_name(name, "client_request_id"))
        st = kusto_request_set_client_request_id(req, push_text(L, value, name));
    else if (is_name(name, "application"))
        st = kusto_request_set_application(req, push_text(L, value, name));
    else if (is_name(name, "user"))
        st = kusto_request_set_user(req, push_text(L, value, name));
    else
        st = set_typed_option(L, req, name, value);
    if (st != KUSTO_OK)
        luaL_error(L, "kusto: cannot set property '%s'", name);
}

kusto_request *klua_check_request(lua_State *L, int index)
{
    kusto_request **req;
    index = lua_absindex(L, index);
    if (lua_isnoneornil(L, index)) {
        lua_pushnil(L);
        return NULL;
    }
    luaL_checktype(L, index, LUA_TTABLE);
    req = (kusto_request **)klua_box(L, free_request);
    if (kusto_request_new(req) != KUSTO_OK)
        luaL_error(L, "kusto: out of memory");
    lua_pushnil(L);
    while (lua_next(L, index)) {
        int top = lua_gettop(L);
        const char *name = check_key(L, -2, "property");
        if (!is_own_name(name, OWN_IN_CALL))
            set_property(L, *req, name, top);
        lua_settop(L, top - 1);
    }
    return *req;
}

/* ---------------------------------------------------------------------------------------------- */
/* Tokens                                                                                          */

void klua_push_token(lua_State *L, const kusto_token *token)
{
    lua_createtable(L, 0, 6);
    klua_set_string(L, "access_token", kusto_token_access_token(token));
    klua_set_string(L, "token_type", kusto_token_type(token));
    klua_set_integer(L, "expires_on", (lua_Integer)kusto_token_expires_on(token));
    klua_set_string(L, "resource", kusto_token_resource(token));
    klua_set_string(L, "authority", kusto_token_authority(token));
    lua_pushboolean(L, kusto_token_from_cache(token));
    lua_setfield(L, -2, "from_cache");
}

void klua_convert_register(lua_State *L)
{
    luaL_newmetatable(L, KLUA_BOX_MT);
    lua_pushcfunction(L, box_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    luaL_newmetatable(L, KLUA_ERROR_MT);
    lua_pushcfunction(L, error_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
}
