-- Typed query parameters (properties.query_parameters): the core writes each literal and the declare statement.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local helper = require "helper"
local kusto = require "kusto"
local cjson = require "cjson"

local function last_query()
   local body = helper.query_body(helper.last(function(r) return r.path == "/v2/rest/query" end))
   local props = body.properties
   if type(props) == "string" then props = cjson.decode(props) end
   return body.csl, props.Parameters
end

describe("query_parameters", function()
   it("types integers, numbers, booleans, strings and kusto.null, after the set statements", function()
      local text = 'say "hi" \\ \n\t\1 ü'
      local res = helper.query("set notruncation;\nprint n, r, b, s, nothing", { query_parameters = {
         n = math.mininteger or 42,
         r = 0.1, b = true, s = text, nothing = kusto.null } })
      local tbl = res.primary_results[1]
      local types = {}
      for i, col in ipairs(tbl.columns) do types[i] = col.type end
      assert.are.same({ "long", "real", "bool", "string", "dynamic" }, types)
      local row = tbl.rows[1]
      if math.mininteger then assert.are.equal(math.mininteger, row[1]) else assert.are.equal(42, row[1]) end
      assert.are.equal(0.1, row[2])
      assert.are.equal(true, row[3])
      assert.are.equal(text, row[4])
      assert.are.equal(kusto.null, row[5])
      local csl, sent = last_query()
      local declared = csl:match("^set notruncation;\ndeclare query_parameters%((.-)%);\nprint n, r, b, s, nothing$")
      assert.is_truthy(declared)
      local names = {}
      for item in declared:gmatch("[^,%s]+") do names[#names + 1] = item end
      table.sort(names)
      assert.are.same({ "b:bool", "n:long", "nothing:dynamic", "r:real", "s:string" }, names)
      assert.are.equal("real(0.1)", sent.r)
      assert.are.equal("dynamic(null)", sent.nothing)
   end)

   it("keeps a query's own declaration, and goes with untyped Parameters", function()
      local res = helper.query("declare query_parameters(n:int, m:long);\nprint n, m",
                               { query_parameters = { n = 7 }, Parameters = { m = "long(8)" } })
      assert.are.same({ { 7, 8 } }, res.primary_results[1].rows)
      local csl, sent = last_query()
      assert.are.equal("declare query_parameters(n:int, m:long);\nprint n, m", csl)
      assert.are.same({ n = "7", m = "long(8)" }, sent)
   end)

   it("refuses names that are no identifiers, values without a Kusto type and control commands", function()
      local function query(csl, parameters)
         return kusto.query(helper.connection_string(), nil, csl, helper.opts({ properties = {
            query_parameters = parameters } }))
      end
      assert.has_error(function() query("print 1", { ["a b"] = 1 }) end,
                       'kusto: query parameter name "a b" is not a Kusto identifier')
      assert.has_error(function() query("print 1", { f = print }) end,
                       "kusto: query parameter 'f': a function has no Kusto type (give an integer, number, boolean, "
                          .. "string, table or kusto.null)")
      assert.has_error(function() query("print 1", { t = { [true] = 1 } }) end,
                       "kusto: query parameter 't': a table that is not a list must have string keys")
      assert.has_error(function() query("print 1", { t = { 1, 0 / 0 } }) end,
                       "kusto: query parameter 't': JSON has no NaN or infinity")
      local loop = {}
      loop.self = loop
      assert.has_error(function() query("print 1", { t = loop }) end,
                       "kusto: query parameter 't': tables nested deeper than 100 levels (a table inside itself?)")
      assert.has_error(function() query("print 1", { t = { "a\0b" } }) end,
                       "kusto: query parameter 't': a string with a NUL byte")
      assert.has_error(function() query("print 1", { t = { f = print } }) end,
                       "kusto: query parameter 't': a value that is not a table, string, number, boolean or kusto.null")
      assert.has_error(function() query("print 1", { s = "bad \255 utf-8" }) end,
                       "kusto: query parameter s: the string is not valid UTF-8")
      local res, err = query(".show tables", { n = 1 })
      assert.is_nil(res)
      assert.are.equal("KUSTO_E_ARGUMENT", err.status)
      assert.are.equal("typed query parameters do not go with a control command", err.message)
   end)

   it("sends tables as dynamic: lists as arrays (an empty table too), others as objects", function()
      local bag = { name = "x \"y\"", list = { true, kusto.null, 1.5, -7 }, nested = { deep = { 1 } } }
      local res = helper.query("print ids, bag, none", { query_parameters = { ids = { 1, 2, 3 }, bag = bag,
         none = {} } })
      local tbl = res.primary_results[1]
      assert.are.same({ "dynamic", "dynamic", "dynamic" }, { tbl.columns[1].type, tbl.columns[2].type,
         tbl.columns[3].type })
      local row = tbl.rows[1]
      assert.are.same({ 1, 2, 3 }, row[1])
      assert.are.same(bag, row[2])
      assert.are.same({}, row[3])
      local _, sent = last_query()
      assert.are.equal("dynamic([1,2,3])", sent.ids)
      assert.are.equal("dynamic([])", sent.none)
      assert.are.same(bag, cjson.decode(sent.bag:match("^dynamic%((.*)%)$")), "cjson reads what was sent")
   end)
end)
