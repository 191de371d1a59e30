local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local kusto = require "kusto"
local helper = require "helper"

-- Datetime ticks (about 6e17) are beyond 2^53: integers on Lua 5.3+, decimal text before (the int64 option).
local exact = helper.exact

describe("kusto module", function()
   it("has a version and a null sentinel that is not nil", function()
      assert.are.equal("0.1.0", kusto._VERSION)
      assert.are.equal("userdata", type(kusto.null))
      assert.is_not_nil(kusto.null)
   end)
end)

describe("datetime ticks", function()
   it("parses Kusto datetimes exactly", function()
      assert.are.equal(exact("638397614451234567"), kusto.datetime_ticks("2024-01-02T03:04:05.1234567Z"))
      assert.are.equal(exact("621355968000000000"), kusto.datetime_ticks("1970-01-01T00:00:00Z"))
   end)

   it("formats ticks as YYYY-MM-DDTHH:MM:SS.fffffffZ", function()
      assert.are.equal("2024-01-02T03:04:05.1234567Z", kusto.datetime_from_ticks(exact("638397614451234567")))
      assert.are.equal("1970-01-01T00:00:00.0000000Z", kusto.datetime_from_ticks(exact("621355968000000000")))
   end)

   it("round-trips", function()
      for _, text in ipairs({ "0001-01-01T00:00:00.0000000Z", "2000-02-29T23:59:59.9999999Z",
                              "9999-12-31T23:59:59.9999999Z" }) do
         assert.are.equal(text, kusto.datetime_from_ticks(assert(kusto.datetime_ticks(text))))
      end
   end)

   it("answers nil and an error for bad text", function()
      local ticks, err = kusto.datetime_ticks("2024-13-45T99:00:00Z")
      assert.is_nil(ticks)
      assert.are.equal("KUSTO_E_ARGUMENT", err.status)
      assert.matches("^kusto: .*datetime", tostring(err))
   end)

   it("raises on a non-string argument", function()
      assert.has_error(function() kusto.datetime_ticks({}) end)
      assert.has_error(function() kusto.datetime_from_ticks("soon") end)
   end)
end)

describe("timespan ticks", function()
   it("parses d.hh:mm:ss.fffffff", function()
      assert.are.equal(937845000000, kusto.timespan_ticks("1.02:03:04.5"))
      assert.are.equal(-10000000, kusto.timespan_ticks("-00:00:01"))
   end)

   it("round-trips", function()
      for _, ticks in ipairs({ 0, 1, -1, 937845000000, 10000000 * 86400 * 400 + 1234567, -36000000000 }) do
         assert.are.equal(ticks, kusto.timespan_ticks(kusto.timespan_from_ticks(ticks)))
      end
      assert.matches("^1%.02:03:04%.50*$", kusto.timespan_from_ticks(937845000000))
      assert.are.equal("-00:00:01", kusto.timespan_from_ticks(-10000000))
   end)

   it("answers nil and an error for bad text", function()
      local ticks, err = kusto.timespan_ticks("soon")
      assert.is_nil(ticks)
      assert.are.equal("KUSTO_E_ARGUMENT", err.status)
   end)
end)

describe("parse_connection_string", function()
   it("names keywords canonically and masks secrets", function()
      local cs = assert(kusto.parse_connection_string(
         "Server=https://c.kusto.windows.net;Database=Samples;Fed=True;AppClientId=app;AppKey=s3cr3t-value"))
      assert.are.equal("https://c.kusto.windows.net", cs["Data Source"])
      assert.are.equal("Samples", cs["Initial Catalog"])
      assert.are.equal("app", cs["Application Client Id"])
      assert.are.equal("****", cs["Application Key"])
      for _, v in pairs(cs) do assert.is_nil(v:find("s3cr3t", 1, true)) end
   end)

   it("answers nil and a KUSTO_E_CONNSTR error for an unknown keyword", function()
      local cs, err = kusto.parse_connection_string("Data Source=https://c.kusto.windows.net;Colour=blue")
      assert.is_nil(cs)
      assert.are.equal("KUSTO_E_CONNSTR", err.status)
      assert.matches("Colour", err.message)
   end)
end)
