local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local helper = require "helper"
local kusto = require "kusto"
local cjson = require "cjson"

local function is_integer(v)
   if math.type then return math.type(v) == "integer" end
   return type(v) == "number" and v == math.floor(v)
end

local function column_index(tbl)
   local index = {}
   for i, col in ipairs(tbl.columns) do index[col.name] = i end
   return index
end

describe("query", function()
   local typed = 'print l=long(42), i=int(-7), r=real(1.5), b=true, s="héllo", '
      .. 'd=datetime(2024-01-02T03:04:05.1234567Z), t=time(1.02:03:04.5), '
      .. 'g=guid(0b2a1c3d-4e5f-6071-8293-a4b5c6d7e8f9), '
      .. 'dyn=dynamic({"a":[1,null,"x"],"b":{"c":true,"n":null}}), dec=decimal(2.00000000000001), '
      .. 'n=long(null)'

   it("converts every Kusto type to its Lua value", function()
      local res = helper.query(typed)
      local tbl = res.primary_results[1]
      local col = column_index(tbl)
      local row = tbl.rows[1]
      assert.are.equal(1, #tbl.rows)
      assert.are.equal(11, #tbl.columns)
      assert.are.equal(11, #row) -- the trailing null keeps its place
      assert.are.equal("long", tbl.columns[col.l].type)
      assert.are.equal("datetime", tbl.columns[col.d].type)
      assert.are.equal("dynamic", tbl.columns[col.dyn].type)
      assert.are.equal(42, row[col.l])
      assert.is_true(is_integer(row[col.l]))
      assert.are.equal(-7, row[col.i])
      assert.are.equal(1.5, row[col.r])
      assert.are.equal(true, row[col.b])
      assert.are.equal("héllo", row[col.s])
      assert.are.equal("2024-01-02T03:04:05.1234567Z", row[col.d])
      assert.are.equal(937845000000, kusto.timespan_ticks(row[col.t]))
      assert.are.equal("0b2a1c3d-4e5f-6071-8293-a4b5c6d7e8f9", row[col.g])
      assert.are.equal("2.00000000000001", row[col.dec])
      assert.are.equal(kusto.null, row[col.n])
      local dyn = row[col.dyn]
      assert.are.equal(3, #dyn.a)
      assert.are.equal(1, dyn.a[1])
      assert.are.equal(kusto.null, dyn.a[2])
      assert.are.equal("x", dyn.a[3])
      assert.are.equal(true, dyn.b.c)
      assert.are.equal(kusto.null, dyn.b.n)
   end)

   it("gives datetime and timespan as integer ticks with raw_ticks, from every entry point", function()
      local csl = "print d=datetime(2024-01-02T03:04:05.1234567Z), t=time(-1.02:03:04.5), "
         .. "n=datetime(null), dyn=dynamic({\"d\":\"2024-01-02T03:04:05Z\"})"
      local function check(row)
         assert.are.equal(helper.exact("638397614451234567"), row[1])
         assert.is_true(is_integer(row[1]) or not math.type) -- before 5.3: the text (the int64 option)
         assert.are.equal(-937845000000, row[2])
         assert.are.equal(kusto.null, row[3])
         assert.are.equal("2024-01-02T03:04:05Z", row[4].d) -- inside dynamic it is only text
      end
      local opts = helper.opts({ raw_ticks = true })
      check(assert(kusto.query(helper.connection_string(), nil, csl, opts)).primary_results[1].rows[1])
      local client = assert(kusto.client(helper.connection_string(), helper.opts()))
      check(assert(client:query(nil, csl, { raw_ticks = true })).primary_results[1].rows[1])
      local streamed
      assert(client:each_row(nil, csl, function(row) streamed = row end, { raw_ticks = true }))
      check(streamed)
      -- without it: the documented text forms; raw_ticks is not sent as a request property
      local row = assert(client:query(nil, csl, { raw_ticks = false })).primary_results[1].rows[1]
      assert.are.equal("2024-01-02T03:04:05.1234567Z", row[1])
      assert.are.equal(-937845000000, kusto.timespan_ticks(row[2]))
      local props = helper.query_body(helper.last(function(r) return r.path == "/v2/rest/query" end)).properties
      if type(props) == "string" then props = cjson.decode(props) end
      assert.is_nil(props and props.Options and props.Options.raw_ticks)
   end)

   it("refuses a raw_ticks that is not a boolean", function()
      local client = assert(kusto.client(helper.connection_string(), helper.opts()))
      assert.has_error(function() client:query(nil, "print 1", { raw_ticks = 1 }) end,
                       "kusto: 'raw_ticks' must be a boolean, not number")
   end)

   it("converts NaN and infinities", function()
      local row = helper.query("print a=real(nan), b=real(+inf), c=real(-inf)").primary_results[1].rows[1]
      assert.is_true(row[1] ~= row[1])
      assert.are.equal(math.huge, row[2])
      assert.are.equal(-math.huge, row[3])
   end)

   it("returns every table of the response and picks out the primary results", function()
      local res = helper.query("print x=1")
      assert.is_true(#res.tables >= 2)
      assert.are.equal(1, #res.primary_results)
      assert.are.equal(0, #res.errors)
      local found = false
      for _, tbl in ipairs(res.tables) do
         if rawequal(tbl, res.primary_results[1]) then found = true end
      end
      assert.is_true(found)
      assert.are.equal("PrimaryResult", res.primary_results[1].kind)
      assert.are.equal("PrimaryResult", res.primary_results[1].name)
      assert.are.same({ { 1 } }, res.primary_results[1].rows)
   end)

   it("returns every row of a range", function()
      local rows = helper.query("range x from 1 to 25000 step 1").primary_results[1].rows
      assert.are.equal(25000, #rows)
      assert.are.equal(1, rows[1][1])
      assert.are.equal(25000, rows[25000][1])
      for i = 1, #rows, 997 do assert.are.equal(i, rows[i][1]) end
      assert.are.equal(0, #helper.query("range x from 1 to 0 step 1").primary_results[1].rows)
   end)

   it("sends the connection string's database and the request properties", function()
      local cfg = helper.config()
      helper.query("print 1", { servertimeout = "00:02:00", notruncation = true,
                                Parameters = { n = "long(5)" } })
      local body = helper.query_body(helper.last(function(r) return r.path == "/v2/rest/query" end))
      assert.are.equal(cfg.database, body.db)
      assert.are.equal("print 1", body.csl)
      local props = body.properties
      if type(props) == "string" then props = cjson.decode(props) end
      assert.are.equal("00:02:00", props.Options.servertimeout)
      assert.are.equal(true, props.Options.notruncation)
      assert.are.equal("long(5)", props.Parameters.n)
   end)

   it("sends an explicit database", function()
      local cfg = helper.config()
      assert(kusto.query(helper.connection_string(), cfg.database, "print 2", helper.opts()))
      local body = helper.query_body(helper.last(function(r) return r.path == "/v2/rest/query" end))
      assert.are.equal(cfg.database, body.db)
      assert.are.equal("print 2", body.csl)
   end)
end)

describe("mgmt", function()
   it("runs .show version on the v1 endpoint", function()
      local res = assert(kusto.mgmt(helper.connection_string(), nil, ".show version", helper.opts()))
      local tbl = res.tables[1]
      local col = column_index(tbl)
      assert.are.equal(1, #tbl.rows)
      assert.is_not_nil(col.BuildVersion)
      assert.are.equal("string", type(tbl.rows[1][col.BuildVersion]))
      local record = helper.last(function(r) return r.path == "/v1/rest/mgmt" end)
      assert.are.equal(".show version", helper.query_body(record).csl)
   end)
end)

-- Containers are made with room for what the same container of the previous row held: a row whose
-- dynamic values change shape must still come out exactly as sent.
describe("dynamic values that change shape from row to row", function()
   after_each(function() helper.clear_faults() end)

   it("come out as sent", function()
      local rows = '[[[1,2,3],{"a":1}],' .. '[[4],{"a":1,"b":[1,2],"c":{"d":[true]}}],' .. '[[],{}],'
         .. '[[[1,2],{"x":"y"},3],{"z":null}],' .. '[[5,6,7,8,9,10],{"a":2}]]'
      local body = '[{"FrameType":"DataSetHeader","IsProgressive":false,"Version":"v2.0"},'
         .. '{"FrameType":"DataTable","TableId":1,"TableKind":"PrimaryResult","TableName":"PrimaryResult",'
         .. '"Columns":[{"ColumnName":"l","ColumnType":"dynamic"},{"ColumnName":"o","ColumnType":"dynamic"}],'
         .. '"Rows":' .. rows .. '},'
         .. '{"FrameType":"DataSetCompletion","HasErrors":false,"Cancelled":false}]'
      helper.fault({ path = "/v2/rest/query", status = 200, body = body, count = 1 })
      local got = helper.query("print 1").primary_results[1].rows
      assert.are.same({
         { { 1, 2, 3 }, { a = 1 } },
         { { 4 }, { a = 1, b = { 1, 2 }, c = { d = { true } } } },
         { {}, {} },
         { { { 1, 2 }, { x = "y" }, 3 }, { z = kusto.null } },
         { { 5, 6, 7, 8, 9, 10 }, { a = 2 } },
      }, got)
   end)
end)
