/* The least time any Lua columnar result of a body can take: its cells, already in C memory, pushed into
   pre-sized Lua arrays (one per column, 64k rows at a time as query_columns does) in a fresh lua_State with
   the collector stopped. Strings are interned by Lua itself, as every string a Lua program holds is.

   lua_floor.measure(rows, columns) -> seconds; columns[c]: the column's cells joined by "\0" (a column of
   strings), or false (numbers: pushed as integers, which cost what any number does). Loaded by the lua5.4
   interpreter, whose Lua it uses (not linked with a second copy). */
#include <lauxlib.h>
#include <lua.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH_ROWS 65536

typedef struct column {
    const char *text;    /* copy of the joined cells, or NULL */
    const char **starts; /* rows + 1 entries: cell r is starts[r] .. starts[r + 1] - 1 */
} column;

static double seconds_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Splits the joined text at its NULs (each cell ends one byte before the next starts). */
static int split(column *col, const char *text, size_t len, lua_Integer rows) {
    char *copy = malloc(len + 1);
    col->starts = malloc(sizeof *col->starts * (size_t)(rows + 1));
    if (!copy || !col->starts) return free(copy), -1;
    memcpy(copy, text, len);
    copy[len] = '\0';
    col->text = copy;
    const char *p = copy;
    for (lua_Integer r = 0; r < rows; r++) {
        col->starts[r] = p;
        p += strlen(p) + 1;
        if (p > copy + len + 1) return -1;
    }
    col->starts[rows] = p;
    return 0;
}

static void fill(lua_State *L, const column *cols, int ncols, lua_Integer rows) {
    lua_createtable(L, ncols, 0);
    for (int c = 0; c < ncols; c++) {
        lua_createtable(L, (int)rows, 0);
        lua_rawseti(L, -2, c + 1);
    }
    for (lua_Integer first = 0; first < rows; first += BATCH_ROWS) {
        lua_Integer end = first + BATCH_ROWS < rows ? first + BATCH_ROWS : rows;
        for (int c = 0; c < ncols; c++) {
            lua_rawgeti(L, -1, c + 1);
            for (lua_Integer r = first; r < end; r++) {
                if (cols[c].text)
                    lua_pushlstring(L, cols[c].starts[r], (size_t)(cols[c].starts[r + 1] - cols[c].starts[r] - 1));
                else lua_pushinteger(L, r * 7919);
                lua_rawseti(L, -2, r + 1);
            }
            lua_pop(L, 1);
        }
    }
}

static int measure(lua_State *L) {
    lua_Integer rows = luaL_checkinteger(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    int ncols = (int)luaL_len(L, 2);
    column *cols = calloc((size_t)ncols, sizeof *cols);
    if (!cols) return luaL_error(L, "out of memory");
    for (int c = 0; c < ncols; c++) {
        size_t len;
        lua_rawgeti(L, 2, c + 1);
        const char *text = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
        if (text && split(&cols[c], text, len, rows) != 0)
            return luaL_error(L, "column %d: out of memory or fewer than %d cells", c + 1, (int)rows);
        lua_pop(L, 1);
    }
    /* The memory the caller freed (its decode of the body) goes back to the system, so Lua's strings cost
       the page faults they cost in a process that did not decode the body first. */
    malloc_trim(0);
    lua_State *fresh = luaL_newstate();
    if (!fresh) return luaL_error(L, "out of memory");
    lua_gc(fresh, LUA_GCSTOP, 0);
    double start = seconds_now();
    fill(fresh, cols, ncols, rows);
    double took = seconds_now() - start;
    lua_close(fresh);
    for (int c = 0; c < ncols; c++) {
        free((void *)cols[c].text);
        free(cols[c].starts);
    }
    free(cols);
    lua_pushnumber(L, took);
    return 1;
}

int luaopen_lua_floor(lua_State *L) {
    lua_newtable(L);
    lua_pushcfunction(L, measure);
    lua_setfield(L, -2, "measure");
    return 1;
}
