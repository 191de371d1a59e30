/* client:query_columns: the query into Arrow columns in C (the core's Arrow builder, kusto_arrow), then one Lua
   array per column, for Lua hosts that aggregate. Datetime and timespan are integer ticks (as raw_ticks); longs
   and ticks follow the call's int64 option before Lua 5.3, as query's rows do. */
#include <string.h>

#include "klua.h"

#define NS_PER_TICK 100

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
    case KUSTO_TYPE_DATETIME:
        klua_push_int64(L, ((const int64_t *)data)[i] / NS_PER_TICK + KUSTO_UNIX_EPOCH_TICKS, int64);
        break;
    case KUSTO_TYPE_TIMESPAN:
        klua_push_int64(L, ((const int64_t *)data)[i] / NS_PER_TICK, int64);
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

/* Appends a batch's cells to the column arrays at data[1..n] (the table at `data`), from row `first`. */
static void append_batch(lua_State *L, int data, const kusto_table_info *info, const struct ArrowArray *batch,
                         int64_t first, klua_int64 int64)
{
    for (size_t c = 0; c < info->column_count; c++) {
        lua_rawgeti(L, data, (int)c + 1);
        for (int64_t i = 0; i < batch->length; i++) {
            push_cell(L, info->columns[c].type, batch->children[c], i, int64);
            lua_rawseti(L, -2, (int)(first + i + 1));
        }
        lua_pop(L, 1);
    }
}

/* Pushes {id, name, kind, columns = {{name, type}...}, data = {column arrays}, row_count}. */
static void push_table(lua_State *L, kusto_arrow *arrow, size_t index, klua_int64 int64)
{
    const kusto_table_info *info = kusto_arrow_table_info(arrow, index);
    int rows = (int)kusto_arrow_table_row_count(arrow, index);
    lua_createtable(L, 0, 6);
    lua_pushinteger(L, info->id);
    lua_setfield(L, -2, "id");
    lua_pushstring(L, info->name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, info->kind);
    lua_setfield(L, -2, "kind");
    lua_pushinteger(L, rows);
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
    lua_createtable(L, (int)info->column_count, 0);
    int data = lua_gettop(L);
    for (size_t c = 0; c < info->column_count; c++) {
        lua_createtable(L, rows, 0);
        lua_rawseti(L, data, (int)c + 1);
    }
    struct ArrowArrayStream stream;
    struct ArrowArray batch;
    int64_t first = 0;
    if (kusto_arrow_table_stream(arrow, index, NULL, &stream) == KUSTO_OK) {
        while (stream.get_next(&stream, &batch) == 0 && batch.release) {
            append_batch(L, data, info, &batch, first, int64);
            first += batch.length;
            batch.release(&batch);
        }
        stream.release(&stream);
    }
    lua_setfield(L, -2, "data");
}

/* Pushes {tables = {...}, primary_results = {...}, warnings = {...}} of the collected result. */
static void push_result(lua_State *L, kusto_arrow *arrow, klua_int64 int64)
{
    size_t count = kusto_arrow_table_count(arrow);
    int primary_count = 0;
    lua_createtable(L, 0, 3);
    lua_createtable(L, (int)count, 0);
    lua_createtable(L, 1, 0);
    for (size_t i = 0; i < count; i++) {
        push_table(L, arrow, i, int64);
        if (kusto_arrow_table_info(arrow, i)->primary) {
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

typedef struct pushing {
    kusto_arrow *arrow;
    klua_int64 int64;
} pushing;

/* push_result as a Lua function of a light userdata pushing: run with the collector paused. */
static int push_result_call(lua_State *L)
{
    const pushing *p = lua_touserdata(L, 1);
    lua_settop(L, 0);
    push_result(L, p->arrow, p->int64);
    return 1;
}

static void free_arrow(void *arrow)
{
    kusto_arrow_free(arrow);
}

int klua_run_columns(lua_State *L, const klua_call *call)
{
    kusto_arrow **arrow = (kusto_arrow **)klua_box(L, free_arrow);
    kusto_error *err = NULL;
    if (kusto_arrow_new(arrow, 0) != KUSTO_OK)
        return klua_fail(L, KUSTO_E_NOMEM, "out of memory");
    kusto_builder builder = *kusto_arrow_builder();
    builder.strict = call->strict;
    /* The Arrow builder never calls into Lua: the transfer and the parse can run on a second core while this
       thread fills the columns (as query_arrow does in Python). */
    builder.parse_in_background = 1;
    kusto_status st = call->mgmt
                        ? kusto_client_mgmt(call->client, call->db, call->text, call->req, &builder, *arrow, &err)
                        : kusto_client_query(call->client, call->db, call->text, call->req, &builder, *arrow, &err);
    if (st == KUSTO_E_CANCELLED) { /* the Arrow builder stops only when memory runs out */
        kusto_error_free(err);
        return klua_fail(L, KUSTO_E_NOMEM, "out of memory while building the columns");
    }
    if (st != KUSTO_OK && st != KUSTO_E_PARTIAL && st != KUSTO_E_PROTOCOL)
        return klua_fail_with(L, st, &err);
    pushing p = {*arrow, call->int64};
    luaL_checkstack(L, 2, "kusto: out of Lua stack space");
    lua_pushcfunction(L, push_result_call);
    lua_pushlightuserdata(L, &p);
    klua_pcall_paused(L, 1, 1);
    if (st == KUSTO_OK)
        return 1;
    int result = lua_gettop(L);
    klua_fail_with(L, st, &err);
    lua_pushvalue(L, result);
    lua_setfield(L, -2, "result");
    return 2;
}
