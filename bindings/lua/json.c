/* A Lua value as JSON text, for a dynamic query parameter (the core checks and rewrites it): a table whose
   keys are 1..n is an array (an empty table too: a list of ids is the usual dynamic parameter), another table
   an object with string keys; integers exact (an int64_t cdata too), other numbers finite; kusto.null null.
   Built as a cJSON tree, whose printer does the escaping. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "klua.h"

#define MAX_DEPTH 100

static cJSON *to_json(lua_State *L, int index, int depth, const char **problem);

static cJSON *integer_json(int64_t v)
{
    char text[24];
    snprintf(text, sizeof text, "%lld", (long long)v);
    return cJSON_CreateRaw(text);
}

static cJSON *number_json(lua_State *L, int index, const char **problem)
{
    if (lua_isinteger(L, index))
        return integer_json(klua_check_int64(L, index));
    double v = (double)lua_tonumber(L, index);
    if (!isfinite(v)) {
        *problem = "JSON has no NaN or infinity";
        return NULL;
    }
    char text[32];
    snprintf(text, sizeof text, "%.17g", v);
    return cJSON_CreateRaw(text);
}

/* The number of entries of the table at `index` when its keys are exactly 1..n, else -1. */
static long sequence_length(lua_State *L, int index)
{
    long count = 0, highest = 0;
    lua_pushnil(L);
    while (lua_next(L, index)) {
        lua_pop(L, 1);
        count++;
        if (lua_type(L, -1) != LUA_TNUMBER || !lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1)
            highest = -1;
        else if (highest >= 0 && (long)lua_tointeger(L, -1) > highest)
            highest = (long)lua_tointeger(L, -1);
    }
    return highest == count ? count : -1;
}

static cJSON *array_json(lua_State *L, int index, long n, int depth, const char **problem)
{
    cJSON *array = cJSON_CreateArray();
    for (long i = 1; array && i <= n; i++) {
        lua_rawgeti(L, index, (int)i);
        cJSON *item = to_json(L, lua_gettop(L), depth + 1, problem);
        lua_pop(L, 1);
        if (!item || !cJSON_AddItemToArray(array, item)) {
            cJSON_Delete(item);
            cJSON_Delete(array);
            return NULL;
        }
    }
    return array;
}

static cJSON *object_json(lua_State *L, int index, int depth, const char **problem)
{
    cJSON *object = cJSON_CreateObject();
    lua_pushnil(L);
    while (object && lua_next(L, index)) {
        cJSON *item = NULL;
        if (lua_type(L, -2) != LUA_TSTRING)
            *problem = "a table that is not a list must have string keys";
        else
            item = to_json(L, lua_gettop(L), depth + 1, problem);
        if (!item || !cJSON_AddItemToObject(object, lua_tostring(L, -2), item)) {
            cJSON_Delete(item);
            cJSON_Delete(object);
            lua_pop(L, 2);
            return NULL;
        }
        lua_pop(L, 1);
    }
    return object;
}

static cJSON *table_json(lua_State *L, int index, int depth, const char **problem)
{
    if (depth > MAX_DEPTH) {
        *problem = "tables nested deeper than 100 levels (a table inside itself?)";
        return NULL;
    }
    luaL_checkstack(L, 4, "kusto: out of Lua stack space");
    long n = sequence_length(L, index);
    return n >= 0 ? array_json(L, index, n, depth, problem) : object_json(L, index, depth, problem);
}

static cJSON *to_json(lua_State *L, int index, int depth, const char **problem)
{
    switch (lua_type(L, index)) {
    case LUA_TBOOLEAN:
        return cJSON_CreateBool(lua_toboolean(L, index));
    case LUA_TNUMBER:
        return number_json(L, index, problem);
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, index, &len);
        if (strlen(s) == len)
            return cJSON_CreateString(s);
        *problem = "a string with a NUL byte";
        return NULL;
    }
    case LUA_TTABLE:
        return table_json(L, index, depth, problem);
    case LUA_TLIGHTUSERDATA:
        if (!lua_touserdata(L, index)) /* kusto.null */
            return cJSON_CreateNull();
        break;
    default:
        if (lua_type(L, index) > LUA_TTHREAD) /* LuaJIT's int64_t cdata */
            return integer_json(klua_check_int64(L, index));
    }
    *problem = "a value that is not a table, string, number, boolean or kusto.null";
    return NULL;
}

void klua_json_free(char *text)
{
    cJSON_free(text);
}

char *klua_json_text(lua_State *L, int index, const char **problem)
{
    *problem = "out of memory";
    cJSON *tree = to_json(L, lua_absindex(L, index), 0, problem);
    char *text = tree ? cJSON_PrintUnformatted(tree) : NULL;
    cJSON_Delete(tree);
    return text;
}
