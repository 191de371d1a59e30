-- 64-bit integers on every runtime: native integers on Lua 5.3+; on 5.1, 5.2 and LuaJIT (doubles, exact to 2^53)
-- a value beyond 2^53 never changes silently: decimal text by default, a rounded number or an int64_t cdata
-- (LuaJIT) when the int64 option asks.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local helper = require "helper"
local kusto = require "kusto"
local cjson = require "cjson"

local native = math.type ~= nil
local has_ffi = pcall(require, "ffi")

-- One long column per value, the same values in a dynamic array, and an int.
local texts = { "9007199254740993", "-9223372036854775808", "9223372036854775807", "9007199254740992",
                "-9007199254740993", "-2147483648" }
local csl = "print a=9007199254740993, b=long(-9223372036854775808), c=9223372036854775807, d=9007199254740992, "
   .. "e=-9007199254740993, f=int(-2147483648), "
   .. "g=dynamic([9007199254740993, -9223372036854775808, 9223372036854775807, 9007199254740992])"

local function first_row(res)
   return assert(res).primary_results[1].rows[1]
end

describe("64-bit integers", function()
   local client
   before_each(function() client = assert(kusto.client(helper.connection_string(), helper.opts())) end)
   after_each(function() client:close() end)

   it("keep their exact value by default", function()
      local row = first_row(client:query(nil, csl))
      for i, text in ipairs(texts) do
         assert.are.equal(helper.exact(text), row[i])
         if native then assert.are.equal("integer", math.type(row[i])) end
      end
      for i = 1, 4 do assert.are.equal(helper.exact(texts[i]), row[7][i]) end
      if native then
         assert.are.equal(9007199254740992 + 1, row[1])
         assert.are.equal(math.mininteger, row[2])
         assert.are.equal(math.maxinteger, row[3])
      else -- beyond 2^53 the text; within it a number
         assert.are.equal("9007199254740993", row[1])
         assert.are.equal("-9223372036854775808", row[2])
         assert.are.equal("9223372036854775807", row[3])
         assert.are.equal("-9007199254740993", row[5])
         assert.are.equal("9223372036854775807", row[7][3])
         assert.are.equal("number", type(row[4]))
         assert.are.equal(2^53, row[4])
         assert.are.equal(-2147483648, row[6])
      end
   end)

   it("are rounded numbers with int64 = \"number\" before Lua 5.3", function()
      local row = first_row(client:query(nil, csl, { int64 = "number" }))
      if native then
         assert.are.equal(math.maxinteger, row[3])
         assert.are.equal("integer", math.type(row[1]))
      else
         assert.are.equal(2^53, row[1]) -- 2^53 + 1 has no double: the caller asked for the rounding
         assert.are.equal(-2^63, row[2])
         assert.are.equal(2^63, row[3])
         assert.are.equal(2^53, row[7][1])
      end
   end)

   it("are int64_t cdata beyond 2^53 with int64 = \"cdata\" on LuaJIT, refused elsewhere before 5.3", function()
      if native then
         assert.are.equal(math.mininteger, first_row(client:query(nil, csl, { int64 = "cdata" }))[2])
      elseif has_ffi then
         local row = first_row(client:query(nil, csl, { int64 = "cdata" }))
         assert.are.equal("cdata", type(row[1]))
         assert.are.equal("9007199254740993LL", tostring(row[1]))
         assert.are.equal("-9223372036854775808LL", tostring(row[2]))
         assert.are.equal("9223372036854775807LL", tostring(row[3]))
         assert.are.equal("-9007199254740993LL", tostring(row[5]))
         assert.are.equal("9007199254740993LL", tostring(row[7][1]))
         assert.are.equal("number", type(row[4])) -- within 2^53: a number still
         assert.are.equal("number", type(row[6]))
         assert.is_true(row[1] - 1 == 2^53) -- LuaJIT's 64-bit arithmetic
      else
         assert.has_error(function() client:query(nil, csl, { int64 = "cdata" }) end,
                          "kusto: int64 = 'cdata' needs LuaJIT's ffi")
      end
   end)

   it("follow the client's int64 unless the call gives its own, from every entry point", function()
      local rounded = native and math.tointeger(9007199254740992 + 1) or 2^53
      local by_client = assert(kusto.client(helper.connection_string(), helper.opts({ int64 = "number" })))
      assert.are.equal(rounded, first_row(by_client:query(nil, csl))[1])
      assert.are.equal(helper.exact(texts[1]), first_row(by_client:query(nil, csl, { int64 = "string" }))[1])
      local streamed
      assert(by_client:each_row(nil, csl, function(row) streamed = row end))
      assert.are.equal(rounded, streamed[1])
      assert(client:each_row(nil, csl, function(row) streamed = row end))
      assert.are.equal(helper.exact(texts[1]), streamed[1])
      by_client:close()
      local cs = helper.connection_string()
      assert.are.equal(rounded, first_row(kusto.query(cs, nil, csl, helper.opts({ int64 = "number" })))[1])
      assert.are.equal(helper.exact(texts[2]), first_row(kusto.query(cs, nil, csl, helper.opts()))[2])
   end)

   it("apply to raw ticks and to kusto.datetime_ticks", function()
      local ticks = "638397614451234567"
      local row = first_row(client:query(nil, "print d=datetime(2024-01-02T03:04:05.1234567Z)", { raw_ticks = true }))
      assert.are.equal(helper.exact(ticks), row[1])
      assert.are.equal(helper.exact(ticks), kusto.datetime_ticks("2024-01-02T03:04:05.1234567Z"))
      local rounded = kusto.datetime_ticks("2024-01-02T03:04:05.1234567Z", { int64 = "number" })
      assert.are.equal(native and helper.exact(ticks) or tonumber(ticks), rounded)
      -- every form goes back to the same text
      assert.are.equal("2024-01-02T03:04:05.1234567Z", kusto.datetime_from_ticks(ticks))
      assert.are.equal("2024-01-02T03:04:05.1234567Z", kusto.datetime_from_ticks(helper.exact(ticks)))
      if has_ffi and not native then
         local cdata = kusto.datetime_ticks("2024-01-02T03:04:05.1234567Z", { int64 = "cdata" })
         assert.are.equal(ticks .. "LL", tostring(cdata))
         assert.are.equal("2024-01-02T03:04:05.1234567Z", kusto.datetime_from_ticks(cdata))
      end
      assert.has_error(function() kusto.datetime_from_ticks("12x") end)
      assert.has_error(function() kusto.timespan_from_ticks(1.5) end)
   end)

   it("apply to query_columns' longs and ticks as to query's rows", function()
      local ticks = "638397614451234567"
      local columns_csl = csl:gsub(", g=dynamic.*$", ", h=datetime(2024-01-02T03:04:05.1234567Z)")
      local function cells(res)
         local data = assert(res).primary_results[1].data
         local out = {}
         for i = 1, 7 do out[i] = data[i][1] end
         return out
      end
      local by_default = cells(client:query_columns(nil, columns_csl))
      for i, text in ipairs(texts) do assert.are.equal(helper.exact(text), by_default[i]) end
      assert.are.equal(helper.exact(ticks), by_default[7])
      if not native then
         assert.are.equal("9007199254740993", by_default[1])
         assert.are.equal("-9223372036854775808", by_default[2])
         assert.are.equal("9223372036854775807", by_default[3])
         assert.are.equal(ticks, by_default[7])
      end
      local rounded = cells(client:query_columns(nil, columns_csl, { int64 = "number" }))
      local rows = first_row(client:query(nil, columns_csl, { int64 = "number", raw_ticks = true }))
      for i = 1, 7 do assert.are.equal(rows[i], rounded[i], "column " .. i) end
      if not native then
         assert.are.equal(2^53, rounded[1])
         assert.are.equal(-2^63, rounded[2])
         assert.are.equal(2^63, rounded[3])
      end
      if has_ffi and not native then
         local cdata = cells(client:query_columns(nil, columns_csl, { int64 = "cdata" }))
         assert.are.equal("9007199254740993LL", tostring(cdata[1]))
         assert.are.equal("-9223372036854775808LL", tostring(cdata[2]))
         assert.are.equal("9223372036854775807LL", tostring(cdata[3]))
         assert.are.equal(ticks .. "LL", tostring(cdata[7]))
         assert.are.equal("number", type(cdata[4]))
      elseif not native then
         assert.has_error(function() client:query_columns(nil, columns_csl, { int64 = "cdata" }) end,
                          "kusto: int64 = 'cdata' needs LuaJIT's ffi")
      end
      local by_client = assert(kusto.client(helper.connection_string(), helper.opts({ int64 = "number" })))
      assert.are.equal(rounded[3], cells(by_client:query_columns(nil, columns_csl))[3])
      local as_text = cells(by_client:query_columns(nil, columns_csl, { int64 = "string" }))
      assert.are.equal(helper.exact(texts[3]), as_text[3])
      by_client:close()
   end)

   it("refuse an unknown int64 value, and int64 is not sent to Kusto", function()
      assert.has_error(function() client:query(nil, "print 1", { int64 = "double" }) end,
                       "kusto: 'int64' must be \"string\", \"number\" or \"cdata\", not double")
      assert.has_error(function() kusto.client(helper.connection_string(), helper.opts({ int64 = true })) end,
                       "kusto: 'int64' must be \"string\", \"number\" or \"cdata\", not boolean")
      assert(client:query(nil, "print 1", { int64 = "number" }))
      local props = helper.query_body(helper.last(function(r) return r.path == "/v2/rest/query" end)).properties
      if type(props) == "string" then props = cjson.decode(props) end
      assert.is_nil(props and props.Options and props.Options.int64)
   end)
end)
