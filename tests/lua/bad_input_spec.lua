-- Bad input is an error that says what is wrong, never what the secret is: a NUL would cut a C string short
-- (a connection string could silently lose a keyword), so it is refused.
local kusto = require "kusto"

local SECRET = "canary-SECRET-51c0de"
local APP = "Data Source=https://bad-input.kusto.windows.net;AAD Federated Security=True;" ..
            "Application Client Id=app;Application Key="

local function refused(fn, ...)
   local ok, err = pcall(fn, ...)
   assert.is_false(ok)
   assert.is_nil(tostring(err):find("canary", 1, true), tostring(err))
   return tostring(err)
end

describe("bad input", function()
   it("refuses a connection string holding a NUL, without its text", function()
      assert.are.equal("kusto: the connection string contains a NUL character",
                       refused(kusto.client, APP .. SECRET .. "\0x"):match("kusto: .*"))
      refused(kusto.query, APP .. "\0" .. SECRET, nil, "print 1")
      refused(kusto.acquire_token, APP .. SECRET .. "\0")
      refused(kusto.parse_connection_string, APP .. "\0" .. SECRET)
   end)

   it("refuses an option or request property holding a NUL, naming it", function()
      local msg = refused(kusto.client, "Data Source=https://bad-input.kusto.windows.net",
                          { client_secret = SECRET .. "\0" })
      assert.truthy(msg:find("kusto: client_secret contains a NUL character", 1, true), msg)
      refused(kusto.query, APP .. "x", nil, "print 1", { properties = { x = SECRET .. "\0" } })
      refused(kusto.query, APP .. "x", nil, "print 1", { properties = { Parameters = { p = "\0" .. SECRET } } })
   end)

   it("keeps the secret of a malformed connection string out of the error", function()
      local client, err = kusto.client(APP .. SECRET .. ";Flux Capacitor=1")
      assert.is_nil(client)
      assert.are.equal("KUSTO_E_CONNSTR", err.status)
      assert.is_nil(tostring(err):find("canary", 1, true))
   end)
end)
