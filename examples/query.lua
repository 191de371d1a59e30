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

local function text(v)
   return v == kusto.null and "null" or tostring(v)
end

-- Cells two spaces apart, each padded to its column's width but the last, as query.py and query.c print.
local function print_line(cells, widths)
   local out = {}
   for i, cell in ipairs(cells) do
      out[i] = i < #cells and cell .. string.rep(" ", widths[i] - #cell) or cell
   end
   print(table.concat(out, "  "))
end

local res = assert(kusto.query(cs, nil, query, opts))
for _, tbl in ipairs(res.primary_results) do
   local names, widths, dashes, lines = {}, {}, {}, {}
   for i, col in ipairs(tbl.columns) do names[i], widths[i] = col.name, #col.name end
   for r, row in ipairs(tbl.rows) do
      lines[r] = {}
      for i = 1, #names do
         lines[r][i] = text(row[i])
         widths[i] = math.max(widths[i], #lines[r][i])
      end
   end
   for i = 1, #names do dashes[i] = string.rep("-", widths[i]) end
   print_line(names, widths)
   print_line(dashes, widths)
   for _, line in ipairs(lines) do print_line(line, widths) end
end
