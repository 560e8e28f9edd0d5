// SPDX-License-Identifier: Apache-2.0
// Loads a `canton export --format tsv` file into a DuckDB table `hits` and
// runs SQL given on stdin as a JSON array of strings. Prints one JSON object:
// {"load_ms": .., "results": [{"rows": [[..], ..], "ms": [..]}, ..]}.
// Used by tests/integration/test_differential.py and bench/query/run.
//   node duckq.mjs EXPORT.tsv [--repeat N] [--db FILE] < queries.json
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
let file = null, repeat = 1, dbfile = ':memory:', threads = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--repeat') repeat = Number(args[++i]);
  else if (args[i] === '--db') dbfile = args[++i];
  else if (args[i] === '--threads') threads = args[++i];
  else file = args[i];
}
const queries = JSON.parse(readFileSync(0, 'utf8'));

// The export's columns in order (docs/storage.md "Export"), named here so
// that the hit's event flags are evflags.
const cols = [
  ['ts', 'BIGINT'], ['local_time', 'VARCHAR'], ['visit', 'BIGINT'], ['hit_num', 'INTEGER'],
  ['type', 'INTEGER'], ['evflags', 'INTEGER'], ['page', 'VARCHAR'], ['url', 'VARCHAR'],
  ['page_type', 'VARCHAR'], ['section', 'VARCHAR'], ['server', 'VARCHAR'],
  ['link_url', 'VARCHAR'], ['link_name', 'VARCHAR'], ['order_id', 'VARCHAR'],
  ['currency', 'VARCHAR'], ['revenue', 'DECIMAL(18,4)'], ['revenue_orig', 'DECIMAL(18,4)'],
  ['units', 'BIGINT'], ['visitor', 'BIGINT'], ['visit_num', 'INTEGER'], ['visit_start', 'BIGINT'],
  ['entry_page', 'VARCHAR'], ['ref_url', 'VARCHAR'], ['ref_domain', 'VARCHAR'],
  ['ref_type', 'INTEGER'], ['search_term', 'VARCHAR'], ['channel', 'VARCHAR'],
  ['campaign', 'VARCHAR'], ['utm_source', 'VARCHAR'], ['utm_medium', 'VARCHAR'],
  ['country', 'VARCHAR'], ['region', 'VARCHAR'], ['city', 'VARCHAR'], ['ip', 'VARCHAR'],
  ['cross_border', 'INTEGER'],
  ['browser', 'VARCHAR'], ['browser_version', 'VARCHAR'], ['os', 'VARCHAR'],
  ['os_version', 'VARCHAR'], ['device', 'INTEGER'], ['bot', 'VARCHAR'], ['language', 'VARCHAR'],
  ['screen', 'VARCHAR'], ['items', 'VARCHAR'], ['vars', 'VARCHAR'], ['event_rows', 'VARCHAR'],
];
const colspec = '{' + cols.map(([n, t]) => `'${n}': '${t}'`).join(', ') + '}';

function plain(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (Array.isArray(v.items)) return v.items.map(plain);
  if (typeof v.toDouble === 'function') return v.toDouble();
  return String(v);
}

const inst = await DuckDBInstance.create(dbfile);
const con = await inst.connect();
if (threads) await con.run(`SET threads = ${threads}`);
let t0 = performance.now();
if (file) {
  const f = file.replace(/'/g, "''");
  // TSV escapes (\t \n \r \\) are undone on the text columns after loading.
  const unesc = (c) => `replace(replace(replace(replace(${c}, '\\\\\\\\', '\\x01'), '\\\\t', chr(9)), '\\\\n', chr(10)), '\\x01', '\\\\')`;
  await con.run(`CREATE OR REPLACE TABLE hits AS SELECT * REPLACE (${
    ['page', 'url', 'link_name', 'search_term', 'city', 'region', 'ref_url'].map((c) => `${unesc(c)} AS ${c}`).join(', ')
  }), CAST(local_time AS TIMESTAMP) AS lt, CAST(CAST(local_time AS TIMESTAMP) AS DATE) AS day
    FROM read_csv('${f}', delim = '\t', header = true, quote = '', escape = '',
                  columns = ${colspec}, auto_detect = false, null_padding = false, nullstr = '\x02NULL')`);
}
const loadMs = performance.now() - t0;
const results = [];
for (const q of queries) {
  const ms = [];
  let rows = null;
  for (let r = 0; r < repeat; r++) {
    t0 = performance.now();
    const reader = await con.runAndReadAll(q);
    rows = reader.getRows();
    ms.push(performance.now() - t0);
  }
  results.push({ rows: rows.map((row) => row.map(plain)), ms });
}
process.stdout.write(JSON.stringify({ load_ms: loadMs, results }) + '\n');
