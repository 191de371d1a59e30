-- client:query_columns: the result built as Arrow columns in C, handed over as one Lua array per column; the
-- same cells as the rows of client:query (datetime and timespan as ticks, as with raw_ticks = true).
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local helper = require "helper"
local kusto = require "kusto"

local HEADER = '{"FrameType":"DataSetHeader","IsProgressive":false,"Version":"v2.0"}'
local COMPLETION = '{"FrameType":"DataSetCompletion","HasErrors":false,"Cancelled":false}'
local TYPES = '{"FrameType":"DataTable","TableId":1,"TableKind":"PrimaryResult","TableName":"PrimaryResult",'
   .. '"Columns":[{"ColumnName":"l","ColumnType":"long"},{"ColumnName":"r","ColumnType":"real"},'
   .. '{"ColumnName":"b","ColumnType":"bool"},{"ColumnName":"s","ColumnType":"string"},'
   .. '{"ColumnName":"d","ColumnType":"datetime"},{"ColumnName":"t","ColumnType":"timespan"},'
   .. '{"ColumnName":"g","ColumnType":"guid"},{"ColumnName":"m","ColumnType":"decimal"},'
   .. '{"ColumnName":"i","ColumnType":"int"}],'
   .. '"Rows":[[9007199254740993,1.5,true,"x","2024-01-02T03:04:05.1234567Z","1.00:00:00",'
   .. '"01234567-89AB-cdef-0123-456789abcdef","1.10",-7],'
   .. '[null,null,null,null,null,null,null,null,null],'
   .. '[-1,-0.25,false,"","1970-01-01T00:00:00Z","-00:00:01","00000000-0000-0000-0000-000000000000","0",2147483647]]}'

local function client()
   return assert(kusto.client(helper.connection_string(), helper.opts()))
end

local function serve(body, count)
   helper.fault({ path = "/v2/rest/query", status = 200, count = count or 1, body = body })
end

describe("query_columns", function()
   helper.faults_per_test(before_each, after_each)

   it("gives the same cells as query's rows, one array per column", function()
      serve("[" .. HEADER .. "," .. TYPES .. "," .. COMPLETION .. "]", 2)
      local c = client()
      local cols = assert(c:query_columns(nil, "T")).primary_results[1]
      local rows = assert(c:query(nil, "T", { raw_ticks = true })).primary_results[1].rows
      assert.are.equal(3, cols.row_count)
      assert.are.equal("l", cols.columns[1].name)
      assert.are.equal("datetime", cols.columns[5].type)
      for r = 1, 3 do
         for col = 1, 9 do
            local want = rows[r][col]
            if col == 7 and type(want) == "string" then want = want:lower() end
            assert.are.equal(want, cols.data[col][r], ("row %d column %d"):format(r, col))
         end
      end
      assert.are.equal(3, #cols.data[1])
      assert.are.equal(kusto.null, cols.data[2][2])
   end)

   it("keeps every table and reports errors with the columns received", function()
      local res = assert(client():query_columns(nil, "range x from 1 to 70000 step 1"))
      local x = res.primary_results[1].data[1]
      assert.are.equal(70000, #x)
      assert.are.equal(70000, x[70000])
      assert.are.equal("QueryCompletionInformation", res.tables[#res.tables].kind)
      serve("[" .. HEADER .. "," .. TYPES)
      local none, err = client():query_columns(nil, "T")
      assert.is_nil(none)
      assert.are.equal("KUSTO_E_PROTOCOL", err.status)
      assert.are.equal(3, err.result.primary_results[1].row_count)
   end)

   -- What query's rows give for a dynamic cell whose JSON text query_columns gives: a table for an object or an
   -- array (compared by kind here), a string for a JSON string, else the scalar.
   local function as_rows_give(json)
      local first = json:sub(1, 1)
      if first == "{" or first == "[" then return "table" end
      if first == '"' then
         local escapes = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", n = "\n", t = "\t", r = "\r" }
         return (json:sub(2, -2):gsub("\\(.)", escapes))
      end
      if json == "true" or json == "false" then return json == "true" end
      return tonumber(json) or json
   end

   -- Every recorded response (fixtures): the same tables, row counts and cells as query's rows, the columns
   -- filled batch by batch while the response arrives (a progressive result's replaced rows dropped).
   for _, name in ipairs({ "fragmented_v2.json", "progressive_result.json", "deft.json",
      "query_partial_results_deferred.json", "query_partial_results_defer_is_false.json",
      "fragmented_error_v2.json", "v1_with_toc.json", "versionshowcommandresult.json" }) do
      it("gives query's cells for the recorded response " .. name, function()
         local f = assert(io.open("tests/fixtures/" .. name, "rb"))
         local body = f:read("*a")
         f:close()
         serve(body, 2)
         local c = client()
         local cols, cols_err = c:query_columns(nil, "T")
         local rows, rows_err = c:query(nil, "T", { raw_ticks = true })
         assert.are.equal(rows_err and rows_err.status, cols_err and cols_err.status)
         rows, cols = rows or rows_err.result, cols or cols_err.result
         assert.are.equal(#rows.tables, #cols.tables)
         for t, want in ipairs(rows.tables) do
            local got = cols.tables[t]
            assert.are.equal(want.name, got.name)
            assert.are.equal(#want.rows, got.row_count)
            for col = 1, #want.columns do
               assert.are.equal(#want.rows, #got.data[col])
               for r, row in ipairs(want.rows) do
                  local cell, other = row[col], got.data[col][r]
                  local kind = got.columns[col].type
                  if type(cell) == "table" then cell = "table" end
                  if kind == "dynamic" and other ~= kusto.null then other = as_rows_give(other) end
                  if kind == "guid" and type(cell) == "string" then cell = cell:lower() end
                  if cell ~= cell and other ~= other then cell, other = "NaN", "NaN" end
                  assert.are.equal(cell, other, ("%s table %d row %d column %d"):format(name, t, r, col))
               end
            end
         end
      end)
   end
end)
