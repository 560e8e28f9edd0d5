// SPDX-License-Identifier: Apache-2.0
// DuckDB for bench/query/run, kept running so that its queries can be
// interleaved with canton's (the machine is shared: runs side by side see
// the same load). The table `hits` is kept in --db FILE (loaded into it by
// tests/duckdb/duckq.mjs when the export is given) and copied into an
// in-memory table, which the queries read. Prints {"load_ms": .., "copy_ms":
// ..}, then answers each stdin line (a JSON string: SQL) with one line
// {"ms": .., "rows": n}.
//   node duckserve.mjs [EXPORT.tsv] --db FILE
import { DuckDBInstance } from '@duckdb/node-api';
import { createInterface } from 'node:readline';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const args = process.argv.slice(2);
let file = null, dbfile = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--db') dbfile = args[++i];
  else file = args[i];
}
if (!dbfile) throw new Error('duckserve: --db FILE is needed');
let loadMs = 0;
if (file) {
  // the load is duckq.mjs's (one definition of the table), into dbfile
  const here = path.dirname(fileURLToPath(import.meta.url));
  const t0 = performance.now();
  const r = spawnSync('node', [path.join(here, '..', '..', 'tests', 'duckdb', 'duckq.mjs'), file, '--db', dbfile],
    { input: '[]', stdio: ['pipe', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error('duckserve: load failed');
  loadMs = performance.now() - t0;
}
// queried in memory, as duckq.mjs does: the kept file is copied in
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
const t1 = performance.now();
await con.run(`ATTACH '${dbfile.replace(/'/g, "''")}' AS kept (READ_ONLY)`);
await con.run('CREATE TABLE hits AS SELECT * FROM kept.hits');
await con.run('DETACH kept');
const copyMs = performance.now() - t1;
process.stdout.write(JSON.stringify({ load_ms: loadMs, copy_ms: copyMs }) + '\n');
const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  if (!line.trim()) continue;
  const sql = JSON.parse(line);
  const t0 = performance.now();
  const reader = await con.runAndReadAll(sql);
  const rows = reader.getRows().length;
  process.stdout.write(JSON.stringify({ ms: performance.now() - t0, rows }) + '\n');
}
