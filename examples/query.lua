-- Sign in and run a query, printing the primary result as a table.
--   lua5.4 examples/query.lua "Data Source=https://...;AAD Federated Security=True;..." [query]
-- Without a connection string it uses the local emulator's configuration (KUSTO_EMULATOR_CONFIG).
local kusto = require "kusto"

local cs, opts = arg[1], {}
if not cs or cs == "" then
   local cjson = require "cjson"
   local path = assert(os.getenv("KUSTO_EMULATOR_CONFIG"), "give a connection string or set KUSTO_EMULATOR_CONFIG")
   local f = assert(io.open(path))
   local cfg = cjson.decode(f:read("*l"))
   f:close()
   cs = cfg.connection_string
   opts = { ca_file = cfg.ca_file, authority = cfg.authority }
end
local query = arg[2] or "range x from 1 to 5 step 1 | extend y = x * 2"

local res = assert(kusto.query(cs, nil, query, opts))
for _, tbl in ipairs(res.primary_results) do
   local names = {}
   for i, col in ipairs(tbl.columns) do names[i] = col.name end
   print(table.concat(names, "\t"))
   for _, row in ipairs(tbl.rows) do
      local cells = {}
      for i, v in ipairs(row) do cells[i] = v == kusto.null and "null" or tostring(v) end
      print(table.concat(cells, "\t"))
   end
end
