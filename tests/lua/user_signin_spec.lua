-- Sign-ins by a person: the device-code prompt and the browser callback are Lua functions; the spec plays the
-- person with curl (the emulator's control API, and a "browser" following the redirect to the loopback listener).
local kusto = require "kusto"
local helper = require "helper"

local function shell_quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local function control(path, json)
   local cfg = helper.config()
   return helper.execute("curl -sf -o /dev/null --cacert " .. shell_quote(cfg.ca_file) .. " -H 'Content-Type: application/json'"
      .. " -d " .. shell_quote(json) .. " " .. shell_quote(cfg.control .. path))
end

local function user_client(opts)
   local cfg = helper.config()
   local cs = helper.connection_string({ ["Application Client Id"] = false, ["Application Key"] = false,
                                         ["Authority Id"] = cfg.authority })
   return kusto.client(cs, helper.opts(opts))
end

local function claims_of(jwt)
   local payload = jwt:match("^[^.]+%.([^.]+)%.")
   local handle = io.popen("printf %s " .. shell_quote(payload) .. " | tr '_-' '/+' | base64 -d 2>/dev/null")
   local text = handle:read("*a")
   handle:close()
   return text
end

describe("device code sign-in", function()
   before_each(function()
      assert(control("/reset", "{}"))
      assert(control("/settings", '{"device_code_interval": 1}'))
   end)
   after_each(function() control("/reset", "{}") end)

   it("signs in once the person approves in the prompt", function()
      local seen
      local client = assert(user_client({ sign_in = "device_code", device_code_callback = function(info)
         seen = info
         assert(control("/device/approve", '{"user_code": "' .. info.user_code .. '", "user": "'
            .. helper.config().users[2].username .. '"}'))
      end }))
      local token = assert(client:acquire_token())
      assert.is_truthy(seen.message:find("enter the code " .. seen.user_code, 1, true))
      assert.are.equal(helper.config().login_endpoint .. "/devicelogin", seen.verification_uri)
      assert.is_true(seen.expires_on > os.time())
      assert.is_truthy(claims_of(token.access_token):find(helper.config().users[2].username, 1, true))
      local res = assert(client:query(nil, "print x=3"))
      assert.are.equal(3, res.primary_results[1].rows[1][1])
      client:close()
   end)

   it("is cancelled when the prompt returns false", function()
      local client = assert(user_client({ sign_in = "device_code", device_code_callback = function() return false end }))
      local token, err = client:acquire_token()
      assert.is_nil(token)
      assert.are.equal("KUSTO_E_CANCELLED", err.status)
   end)

   it("reports a declined sign-in as Azure AD's error", function()
      local client = assert(user_client({ sign_in = "device_code", device_code_callback = function(info)
         assert(control("/device/decline", '{"user_code": "' .. info.user_code .. '"}'))
      end }))
      local token, err = client:acquire_token()
      assert.is_nil(token)
      assert.are.equal("KUSTO_E_AUTH", err.status)
      assert.are.equal("authorization_declined", err.code)
   end)

   it("calls the prompt of a one-shot kusto.acquire_token too", function()
      local cfg = helper.config()
      local cs = helper.connection_string({ ["Application Client Id"] = false, ["Application Key"] = false,
                                            ["Authority Id"] = cfg.authority })
      local seen
      local token = assert(kusto.acquire_token(cs, helper.opts({ sign_in = "device_code",
         device_code_callback = function(info)
            seen = info.user_code
            assert(control("/device/approve", '{"user_code": "' .. info.user_code .. '"}'))
         end })))
      assert.is_string(seen)
      assert.is_true(#token.access_token > 20)
   end)

   it("is stopped by the call's cancel function while it waits for the person", function()
      assert(control("/settings", '{"device_code_interval": 5}'))
      local prompted, asked = false, 0
      local function cancel() asked = asked + 1; return prompted end
      local client = assert(user_client({ sign_in = "device_code", device_code_callback = function() prompted = true end }))
      local started = os.time()
      local token, err = client:acquire_token({ cancel = cancel })
      assert.is_nil(token)
      assert.are.equal("KUSTO_E_CANCELLED", err.status)
      assert.are.equal("the sign-in was cancelled", err.message)
      assert.is_true(os.time() - started <= 3) -- not the 5 s poll interval
      assert.is_true(asked >= 2)
      -- the same through the one-shot call, whose options carry the cancel function
      local cfg = helper.config()
      local cs = helper.connection_string({ ["Application Client Id"] = false, ["Application Key"] = false,
                                            ["Authority Id"] = cfg.authority })
      prompted = false
      token, err = kusto.acquire_token(cs, helper.opts({ sign_in = "device_code", cancel = cancel,
                                                         device_code_callback = function() prompted = true end }))
      assert.is_nil(token)
      assert.are.equal("KUSTO_E_CANCELLED", err.status)
      assert.has_error(function() client:acquire_token({ cancel = "soon" }) end,
                       "kusto: 'cancel' must be a function, not string")
   end)

   it("refuses a prompt that is not a function", function()
      assert.has_error(function() user_client({ device_code_callback = "print" }) end,
                       "kusto: option 'device_code_callback' must be a function")
   end)
end)

describe("interactive sign-in", function()
   it("receives the redirect of a browser the callback started", function()
      local cfg = helper.config()
      local opened
      local client = assert(user_client({ browser_callback = function(url)
         opened = url
         -- A browser runs on its own: start curl in the background and return at once.
         os.execute("curl -sfL -o /dev/null --max-time 10 --cacert " .. shell_quote(cfg.ca_file) .. " "
            .. shell_quote(url) .. " &")
      end }))
      local token = assert(client:acquire_token())
      assert.is_truthy(opened:find("code_challenge_method=S256", 1, true))
      assert.is_truthy(claims_of(token.access_token):find(cfg.users[1].username, 1, true))
   end)

   it("times out when the browser never comes back", function()
      local client = assert(user_client({ browser_callback = function() end, interactive_timeout = 1 }))
      local token, err = client:acquire_token()
      assert.is_nil(token)
      assert.are.equal("KUSTO_E_TIMEOUT", err.status)
   end)
end)
