-- A tolerant reader: odd cells arrive as sent and are listed in result.warnings (strict = true fails instead); a
-- body cut off at a frame boundary is a KUSTO_E_PROTOCOL error that keeps the rows; TableProgress reaches
-- on_progress; a control command given to query goes to the management endpoint. Bodies written for this spec.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local helper = require "helper"
local kusto = require "kusto"

local HEADER = '{"FrameType":"DataSetHeader","IsProgressive":false,"Version":"v2.0"}'
local COMPLETION = '{"FrameType":"DataSetCompletion","HasErrors":false,"Cancelled":false}'

local function serve(frames, path)
   helper.fault({ path = path or "/v2/rest/query", status = 200, count = 1, body = frames })
end

local function client()
   return assert(kusto.client(helper.connection_string(), helper.opts()))
end

local STATUS_TABLE = '{"FrameType":"DataTable","TableId":1,"TableKind":"PrimaryResult","TableName":"PrimaryResult",'
   .. '"Columns":[{"ColumnName":"s","ColumnType":"string"},{"ColumnName":"n","ColumnType":"long"}],'
   .. '"Rows":[["a",1],[{"Count":3},1.5],[7,2]]}'

describe("tolerance", function()
   helper.faults_per_test(before_each, after_each)

   it("delivers cells that do not fit as sent, with warnings", function()
      serve("[" .. HEADER .. "," .. STATUS_TABLE .. "," .. COMPLETION .. "]")
      local res = assert(client():query(nil, "T"))
      local rows = res.primary_results[1].rows
      assert.are.equal("a", rows[1][1])
      assert.are.equal(3, rows[2][1].Count)
      assert.are.equal("1.5", rows[2][2])
      assert.are.equal(7, rows[3][1])
      assert.are.equal(3, #res.warnings)
      local first = res.warnings[1]
      assert.are.same({ table = "PrimaryResult", table_id = 1, row = 2, column = 1, column_name = "s",
                        reason = "an object that is not a valid string", excerpt = '{"Count":3}', count = 1 }, first)
   end)

   it("fails instead when strict", function()
      serve("[" .. HEADER .. "," .. STATUS_TABLE .. "," .. COMPLETION .. "]")
      local res, err = client():query(nil, "T", { strict = true })
      assert.is_nil(res)
      assert.are.equal("KUSTO_E_PROTOCOL", err.status)
      assert.truthy(err.message:find("row 1, column 's'", 1, true))
      assert.are.equal(1, #err.result.primary_results[1].rows)
   end)

   it("takes a datetime out of range as its text and \"\" as null", function()
      serve("[" .. HEADER .. ',{"FrameType":"DataTable","TableId":1,"TableKind":"PrimaryResult","TableName":"T",'
         .. '"Columns":[{"ColumnName":"t","ColumnType":"datetime"}],"Rows":[["0000-01-01T00:00:00Z"],[""]]},'
         .. COMPLETION .. "]")
      local res = assert(client():query(nil, "T"))
      assert.are.equal("0000-01-01T00:00:00Z", res.tables[1].rows[1][1])
      assert.are.equal(kusto.null, res.tables[1].rows[2][1])
      assert.are.equal("text that is not a valid datetime", res.warnings[1].reason)
   end)

   it("calls a body without DataSetCompletion a protocol error, keeping the rows", function()
      serve("[" .. HEADER .. "," .. STATUS_TABLE .. "]")
      local res, err = client():query(nil, "T")
      assert.is_nil(res)
      assert.are.equal("KUSTO_E_PROTOCOL", err.status)
      assert.truthy(err.message:find("DataSetCompletion", 1, true))
      assert.are.equal(3, #err.result.primary_results[1].rows)
   end)

   it("hands TableProgress to on_progress", function()
      serve("[" .. HEADER .. ',{"FrameType":"TableProgress","TableId":1,"TableProgress":40.5},' .. COMPLETION .. "]")
      local seen = {}
      local opts = helper.opts({ on_progress = function(id, percent) seen[#seen + 1] = { id, percent } end })
      assert(kusto.query(helper.connection_string(), nil, "T", opts))
      assert.are.same({ { 1, 40.5 } }, seen)
   end)

   it("sends a control command given to query to the management endpoint", function()
      local res = assert(client():query(nil, "\n  .show version"))
      assert.truthy(#res.tables[1].rows > 0)
      local last = helper.last(function(r) return r.path and r.path:match("^/v%d/rest/") end)
      assert.are.equal("/v1/rest/mgmt", last.path)
   end)
end)
