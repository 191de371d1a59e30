local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local helper = require "helper"
local kusto = require "kusto"

describe("client:each_row", function()
   local client
   before_each(function()
      client = assert(kusto.client(helper.connection_string(), helper.opts()))
   end)
   after_each(function() client:close() end)

   it("hands every primary row to the function as it arrives and does not keep them", function()
      local seen, tables = {}, {}
      local res = assert(client:each_row(nil, "range x from 1 to 2500 step 1", function(row, tbl)
         seen[#seen + 1] = row[1]
         tables[tbl] = true
      end))
      assert.are.equal(2500, #seen)
      for i = 1, 2500 do assert.are.equal(i, seen[i]) end
      local primary = res.primary_results[1]
      assert.are.equal(0, #primary.rows)
      assert.is_true(tables[primary])
      assert.are.equal("x", primary.columns[1].name)
   end)

   it("gives rows typed like query", function()
      local csl = 'print l=long(5), s="x", d=datetime(2024-01-02), n=long(null)'
      local got
      assert(client:each_row(nil, csl, function(row) got = row end))
      local want = assert(client:query(nil, csl)).primary_results[1].rows[1]
      assert.are.same(want, got)
      assert.are.equal(kusto.null, got[4])
   end)

   it("stops the query when the function returns false", function()
      local n = 0
      local res, err = client:each_row(nil, "range x from 1 to 5000 step 1", function()
         n = n + 1
         if n == 3 then return false end
      end)
      assert.is_nil(res)
      assert.are.equal("KUSTO_E_CANCELLED", err.status)
      assert.are.equal(3, n)
      assert.is_truthy(client:query(nil, "print 1")) -- the client goes on
   end)

   it("raises the function's error once the call has ended", function()
      assert.has_error(function()
         client:each_row(nil, "range x from 1 to 10 step 1", function() error({ mine = 1 }) end)
      end, { mine = 1 })
   end)

   it("passes request properties and returns partial errors with the rows already handed on", function()
      local n = 0
      local res, err = client:each_row(nil, "range x from 1 to 100 step 1", function() n = n + 1 end,
         { truncationmaxrecords = 4, deferpartialqueryfailures = true })
      assert.is_nil(res)
      assert.are.equal("KUSTO_E_PARTIAL", err.status)
      assert.are.equal("QueryLimitsExceeded", err.code)
      assert.are.equal(4, n)
   end)

   it("refuses a non-function", function()
      assert.has_error(function() client:each_row(nil, "print 1", 42) end)
   end)
end)
