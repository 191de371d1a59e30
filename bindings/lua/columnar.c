/* client:query_columns: the query into Arrow columns in C (the core's Arrow builder, on the core's worker thread:
   kusto_client_query_arrow_live), each batch copied into one Lua array per column as soon as it is built, for Lua
   hosts that aggregate. Filling Lua's arrays (its own string interning, mostly) overlaps the transfer and the
   parse. Datetime and timespan are integer ticks (as raw_ticks); longs and ticks follow the call's int64 option
   before Lua 5.3, as query's rows do. */
#include "klua.h"

/* Batches small enough to stay in the cache between the worker that builds them and this thread that reads
   them: at 1M rows 1.75 s with 8192 rows a batch, 2.0 s with the default 65536. */
#define BATCH_ROWS 8192

static int valid(const struct ArrowArray *a, int64_t i)
{
    const unsigned char *bits = a->buffers[0];
    return !bits || (bits[i / 8] >> (i % 8) & 1);
}

static void push_guid(lua_State *L, const unsigned char *b)
{
    static const char hex[] = "0123456789abcdef";
    char text[36];
    size_t n = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            text[n++] = '-';
        text[n++] = hex[b[i] >> 4];
        text[n++] = hex[b[i] & 15];
    }
    lua_pushlstring(L, text, sizeof text);
}

/* Pushes cell `i` of a column of Kusto type `type`; 64-bit integers as `int64` says. */
static void push_cell(lua_State *L, kusto_type type, const struct ArrowArray *a, int64_t i, klua_int64 int64)
{
    if (!valid(a, i)) {
        klua_push_null(L);
        return;
    }
    const void *data = a->buffers[1];
    switch (type) {
    case KUSTO_TYPE_LONG:
        klua_push_int64(L, ((const int64_t *)data)[i], int64);
        break;
    case KUSTO_TYPE_INT:
        lua_pushinteger(L, (lua_Integer)((const int32_t *)data)[i]);
        break;
    case KUSTO_TYPE_REAL:
        lua_pushnumber(L, (lua_Number)((const double *)data)[i]);
        break;
    case KUSTO_TYPE_BOOL:
        lua_pushboolean(L, ((const unsigned char *)data)[i / 8] >> (i % 8) & 1);
        break;
    case KUSTO_TYPE_DATETIME: /* ticks as they are (KUSTO_ARROW_TICKS) */
    case KUSTO_TYPE_TIMESPAN:
        klua_push_int64(L, ((const int64_t *)data)[i], int64);
        break;
    case KUSTO_TYPE_GUID:
        push_guid(L, (const unsigned char *)data + 16 * i);
        break;
    default: { /* utf8: string, dynamic (JSON text), decimal (exact text) */
        const int32_t *offsets = data;
        lua_pushlstring(L, (const char *)a->buffers[2] + offsets[i], (size_t)(offsets[i + 1] - offsets[i]));
    }
    }
}

/* Appends a batch's cells to the column arrays at data[1..n] (the table at `data`), after the rows they hold
   (no cell is nil: null is kusto.null, so an array's length is its rows). */
static void append_batch(lua_State *L, int data, const kusto_table_info *info, const struct ArrowArray *batch,
                         klua_int64 int64)
{
    lua_rawgeti(L, data, 1);
    int64_t first = info->column_count ? (int64_t)lua_rawlen(L, -1) : 0;
    lua_pop(L, 1);
    for (size_t c = 0; c < info->column_count; c++) {
        lua_rawgeti(L, data, (int)c + 1);
        for (int64_t i = 0; i < batch->length; i++) {
            push_cell(L, info->columns[c].type, batch->children[c], i, int64);
            lua_rawseti(L, -2, (int)(first + i + 1));
        }
        lua_pop(L, 1);
    }
}

/* Pushes a table's column arrays: one empty array per column. */
static void push_empty_columns(lua_State *L, const kusto_table_info *info)
{
    lua_createtable(L, (int)info->column_count, 0);
    for (size_t c = 0; c < info->column_count; c++) {
        lua_newtable(L);
        lua_rawseti(L, -2, (int)c + 1);
    }
}

typedef struct filling {
    kusto_arrow_live *live;
    klua_int64 int64;
} filling;

/* Takes the live result's events to its end, filling the table at `arrays` (index + 1 -> column arrays). */
static void fill_arrays(lua_State *L, int arrays, filling *f)
{
    kusto_arrow_live_event e;
    for (;;) {
        if (kusto_arrow_live_next(f->live, &e) != KUSTO_OK)
            luaL_error(L, "kusto: out of memory while handing over the columns");
        if (e.kind == KUSTO_ARROW_LIVE_END)
            return;
        if (e.kind == KUSTO_ARROW_LIVE_BATCH) {
            lua_rawgeti(L, arrays, (int)e.table + 1);
            lua_rawgeti(L, -1, 0); /* the info, as a light userdata: batches carry none */
            const kusto_table_info *info = lua_touserdata(L, -1);
            lua_pop(L, 1);
            append_batch(L, lua_gettop(L), info, &e.batch, f->int64);
            e.batch.release(&e.batch);
            lua_pop(L, 1);
            continue;
        }
        push_empty_columns(L, e.info); /* a table begun, or its rows so far replaced */
        lua_pushlightuserdata(L, (void *)e.info);
        lua_rawseti(L, -2, 0);
        lua_rawseti(L, arrays, (int)e.table + 1);
    }
}

/* Pushes {id, name, kind, columns = {{name, type}...}, data = {column arrays}, row_count}; the arrays at the
   top of the stack are popped. */
static void push_table(lua_State *L, const kusto_table_info *info, size_t rows)
{
    int data = lua_gettop(L);
    lua_pushnil(L);
    lua_rawseti(L, data, 0);
    lua_createtable(L, 0, 6);
    lua_pushinteger(L, info->id);
    lua_setfield(L, -2, "id");
    lua_pushstring(L, info->name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, info->kind);
    lua_setfield(L, -2, "kind");
    lua_pushinteger(L, (lua_Integer)rows);
    lua_setfield(L, -2, "row_count");
    lua_createtable(L, (int)info->column_count, 0);
    for (size_t c = 0; c < info->column_count; c++) {
        lua_createtable(L, 0, 2);
        lua_pushstring(L, info->columns[c].name);
        lua_setfield(L, -2, "name");
        lua_pushstring(L, kusto_type_name(info->columns[c].type));
        lua_setfield(L, -2, "type");
        lua_rawseti(L, -2, (int)c + 1);
    }
    lua_setfield(L, -2, "columns");
    lua_pushvalue(L, data);
    lua_setfield(L, -2, "data");
    lua_replace(L, data);
}

/* Pushes {tables = {...}, primary_results = {...}, warnings = {...}} of the ended result, taking each table's
   arrays from the table at `arrays`. */
static void push_result(lua_State *L, const kusto_arrow *arrow, int arrays)
{
    size_t count = kusto_arrow_table_count(arrow);
    int primary_count = 0;
    lua_createtable(L, 0, 3);
    lua_createtable(L, (int)count, 0);
    lua_createtable(L, 1, 0);
    for (size_t i = 0; i < count; i++) {
        const kusto_table_info *info = kusto_arrow_table_info(arrow, i);
        lua_rawgeti(L, arrays, (int)i + 1);
        if (lua_isnil(L, -1)) { /* never begun here: cannot be, but an empty table is right then */
            lua_pop(L, 1);
            push_empty_columns(L, info);
        }
        push_table(L, info, kusto_arrow_table_row_count(arrow, i));
        if (info->primary) {
            lua_pushvalue(L, -1);
            lua_rawseti(L, -3, ++primary_count);
        }
        lua_rawseti(L, -3, (int)i + 1);
    }
    lua_setfield(L, -3, "primary_results");
    lua_setfield(L, -2, "tables");
    lua_createtable(L, (int)kusto_arrow_warning_count(arrow), 0);
    for (size_t i = 0; i < kusto_arrow_warning_count(arrow); i++) {
        klua_push_warning(L, kusto_arrow_warning(arrow, i));
        lua_rawseti(L, -2, (int)i + 1);
    }
    lua_setfield(L, -2, "warnings");
}

/* fill_arrays as a Lua function of a light userdata filling: run with the collector paused. Returns the
   arrays of every table (index + 1 -> column arrays). */
static int fill_call(lua_State *L)
{
    filling *f = lua_touserdata(L, 1);
    lua_settop(L, 0);
    lua_newtable(L);
    fill_arrays(L, 1, f);
    return 1;
}

/* push_result as a Lua function of the result (light userdata) and the arrays: run with the collector paused. */
static int push_result_call(lua_State *L)
{
    push_result(L, lua_touserdata(L, 1), 2);
    return 1;
}

static void free_live(void *live)
{
    kusto_arrow_live_free(live);
}

int klua_run_columns(lua_State *L, const klua_call *call)
{
    luaL_checkstack(L, 6, "kusto: out of Lua stack space");
    kusto_arrow_live **live = (kusto_arrow_live **)klua_box(L, free_live);
    kusto_error *err = NULL;
    unsigned flags = KUSTO_ARROW_TICKS | (call->strict ? KUSTO_ARROW_STRICT : 0);
    kusto_status st = kusto_client_query_arrow_live(call->client, call->db, call->text, call->req, BATCH_ROWS, flags,
                                                    live, &err);
    if (st != KUSTO_OK)
        return klua_fail_with(L, st, &err);
    filling f = {*live, call->int64};
    lua_pushcfunction(L, fill_call);
    lua_pushlightuserdata(L, &f);
    klua_pcall_paused(L, 1, 1);
    int arrays = lua_gettop(L);
    const kusto_arrow *result = NULL;
    st = kusto_arrow_live_finish(*live, &result, &err);
    if (st != KUSTO_OK && st != KUSTO_E_PARTIAL && st != KUSTO_E_PROTOCOL)
        return klua_fail_with(L, st, &err);
    lua_pushcfunction(L, push_result_call);
    lua_pushlightuserdata(L, (void *)result);
    lua_pushvalue(L, arrays);
    klua_pcall_paused(L, 2, 1);
    if (st == KUSTO_OK)
        return 1;
    int pushed = lua_gettop(L);
    klua_fail_with(L, st, &err);
    lua_pushvalue(L, pushed);
    lua_setfield(L, -2, "result");
    return 2;
}
