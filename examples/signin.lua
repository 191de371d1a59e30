-- Sign in one way, print the token's expiry (never the token) and a one-row query.
--   lua5.4 examples/signin.lua FLOW [CONFIG.json]
-- CONFIG.json (default: $KUSTO_EMULATOR_CONFIG) is the line `python -m kusto.emulator --print-config` prints.
-- Flows: those in FLOWS below. Not here: on_behalf_of (needs a user's token for the app), workload_identity and
-- environment (they read AZURE_* variables, which plain Lua cannot set: see examples/signin.py). The person of
-- device_code and interactive is played with curl, in the background, against the emulator only.
local kusto = require "kusto"
local cjson = require "cjson"

local function base(c, extra)
   return ("Data Source=%s;Initial Catalog=%s;AAD Federated Security=True%s"):format(c.cluster, c.database, extra or "")
end

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local function curl_later(c, args)
   os.execute(("(sleep 1; curl -s --cacert %s %s) >/dev/null 2>&1 &"):format(quote(c.ca_file), args))
end

local FLOWS = {
   application_secret = function(c) return c.connection_string, { authority = c.authority } end,
   application_certificate = function(c)
      return base(c, ";Application Client Id=" .. c.cert_client_id),
         { authority = c.authority, certificate_path = c.cert_pem_file }
   end,
   user_password = function(c)
      return base(c, (";User ID=%s;Password=%s"):format(c.user, c.password)), { authority = c.authority }
   end,
   device_code = function(c)
      return base(c, ";Authority Id=" .. c.authority), { sign_in = "device_code", device_code_callback = function(info)
         print(info.message)
         if c.control then -- the emulator only: approve as its first test user
            local approve = cjson.encode { user_code = info.user_code, user = c.users[1].username }
            curl_later(c, ("-H 'Content-Type: application/json' -d %s %s"):format(quote(approve),
               quote(c.control .. "/device/approve")))
         end
      end }
   end,
   interactive = function(c)
      return base(c, ";Authority Id=" .. c.authority), { sign_in = "interactive", browser_callback = function(url)
         curl_later(c, "-L " .. quote(url)) -- a browser where the person is signed in already
      end }
   end,
   token_callback = function(c)
      local source = kusto.client(c.connection_string, { ca_file = c.ca_file, authority = c.authority })
      return base(c), { token_callback = function(resource)
         local token = assert(source:acquire_token())
         return token.access_token, token.expires_on
      end }
   end,
   managed_identity = function(c)
      return base(c), { sign_in = "managed_identity",
         managed_identity_endpoint = c.imds_endpoint .. "/metadata/identity/oauth2/token" }
   end,
   azure_cli = function(c) return base(c, ";Authority Id=" .. c.tenant), { sign_in = "azure_cli" } end, -- `az` on PATH
}

local flow, path = arg[1], arg[2] or os.getenv("KUSTO_EMULATOR_CONFIG")
if not FLOWS[flow] or not path then
   local names = {}
   for name in pairs(FLOWS) do names[#names + 1] = name end
   table.sort(names)
   io.stderr:write("usage: signin.lua {" .. table.concat(names, ",") .. "} [CONFIG.json]\n")
   os.exit(2)
end
local f = assert(io.open(path))
local config = cjson.decode(f:read("*l"))
f:close()

local cs, opts = FLOWS[flow](config)
opts.ca_file = config.ca_file
local client = assert(kusto.client(cs, opts))
local token = assert(client:acquire_token())
print(("token expires in %d s"):format(token.expires_on - os.time()))
local result = assert(client:query(nil, ("print flow='%s', x=1"):format(flow)))
local row = {}
for i, v in ipairs(result.primary_results[1].rows[1]) do row[i] = tostring(v) end
print("row: " .. table.concat(row, " "))
client:close()
