// pipeline.mjs — the real Watchfloor processes behind the console UI test: a scratch
// database with the Chicago boundaries, wf-enrich, wf-spatial, wf-alert and wf-console over
// ZeroMQ, wf-admin and wf-ingest runs, and psql queries. The same steps as
// tests/integration/harness.c, for a test written in node because it drives a browser.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const exited = (child) => child.exitCode !== null || child.signalCode !== null;

// The programs under test read only the test's config file: WF_* settings from a developer's
// shell (eval "$(scripts/pg env)") would override it, so they are removed (WF_TEST_* stay).
function s_scrubbedEnv() {
  const env = {};
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith('WF_') || key.startsWith('WF_TEST_')) env[key] = value;
  return env;
}

// A TCP port free on 127.0.0.1 now (for a console that must come back on the same URL).
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export class Pipeline {
  // consolePort: 0 lets wf-console choose; a fixed one lets a restarted console keep its URL.
  constructor({ sourceDir, binaryDir, name, multiplier, consolePort = 0 }) {
    this.consolePort = consolePort;
    this.sourceDir = sourceDir;
    this.binaryDir = binaryDir;
    this.multiplier = multiplier;
    this.env = s_scrubbedEnv();
    const base = process.env.WF_TEST_PG_CONNINFO;
    if (!base) throw new Error('WF_TEST_PG_CONNINFO is not set (scripts/test sets it)');
    this.baseConninfo = base;
    this.database = `wft_${name}_${process.pid}`;
    this.conninfo = `${base} dbname=${this.database}`;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `wf-it-${name}-`));
    this.config = path.join(this.dir, 'watchfloor.yaml');
    this.children = new Map(); // name → {child, log}
  }

  bin(relative) {
    return path.join(this.binaryDir, relative);
  }

  src(relative) {
    return path.join(this.sourceDir, relative);
  }

  // Rows of a query as arrays of text fields (psql unaligned, tab-separated).
  sql(query, conninfo = this.conninfo) {
    const out = execFileSync('psql', [conninfo, '-X', '-A', '-t', '-q', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-c', query],
      { env: { ...this.env, PGOPTIONS: '-c client_min_messages=warning' }, encoding: 'utf8' });
    return out.split('\n').filter((line) => line !== '').map((line) => line.split('\t'));
  }

  async createDatabase() {
    const admin = `${this.baseConninfo} dbname=postgres`;
    this.sql(`DROP DATABASE IF EXISTS ${this.database} WITH (FORCE)`, admin);
    try { // the cluster scripts keep a template with PostGIS installed
      this.sql(`CREATE DATABASE ${this.database} TEMPLATE watchfloor_template`, admin);
    } catch {
      this.sql(`CREATE DATABASE ${this.database}`, admin);
    }
    this.databaseCreated = true;
  }

  writeConfig() {
    const yaml = [
      `state_dir: ${this.dir}/state`,
      'zmq:',
      `  dir: ${this.dir}/zmq`,
      'pg:',
      `  conninfo: ${JSON.stringify(this.conninfo)}`,
      '  flush_interval: 20ms',
      'alert:',
      `  rules: ${this.src('deploy/rules.yaml')}`,
      'console:',
      `  listen: "127.0.0.1:${this.consolePort}"`, // wf-console writes its URL to state_dir
      `  web_root: ${this.src('services/console/web')}`,
      '',
    ].join('\n');
    fs.writeFileSync(this.config, yaml);
  }

  // wf-admin with the test's config; returns its standard output, throws with its log.
  admin(...args) {
    try {
      return execFileSync(this.bin('tools/wf-admin'), ['--config', this.config, ...args],
        { env: this.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      throw new Error(`wf-admin ${args[0]} failed: ${err.stderr || err.message}`);
    }
  }

  loadChicago() {
    const set = ['--boundary-set', 'chicago-2012-12', '--jurisdiction', 'Chicago', '--effective-from', '2012-12-01'];
    this.admin('migrate');
    this.admin('load-boundaries', ...set, '--layer', 'beat', '--code-field', 'BEAT_NUM', '--parent-field', 'DISTRICT',
      '--pad', '4', '--parent-pad', '3', this.src('data/chicago/boundaries/police_beats.geojson.xz'));
    this.admin('load-boundaries', ...set, '--layer', 'district', '--code-field', 'dist_num', '--name-field', 'dist_label',
      '--pad', '3', this.src('data/chicago/boundaries/police_districts.geojson.xz'));
  }

  async start() {
    await this.createDatabase();
    this.writeConfig();
    this.loadChicago();
  }

  s_spawn(name, binary, args = []) {
    const log = path.join(this.dir, `${name}.log`);
    const fd = fs.openSync(log, 'a'); // a restarted service appends to its log
    const child = spawn(binary, ['--config', this.config, ...args], { env: this.env, stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    this.children.set(name, { child, log });
    return child;
  }

  logText(name) {
    const entry = this.children.get(name);
    return entry && fs.existsSync(entry.log) ? fs.readFileSync(entry.log, 'utf8') : '';
  }

  // Starts wf-<name> (args: more options, e.g. --set KEY=VALUE) and waits until it has
  // subscribed to its topics.
  async startService(name, subscriptions, args = []) {
    const before = (this.logText(name).match(/consuming topic=/g) || []).length; // earlier runs
    const child = this.s_spawn(name, this.bin(`services/${name}/wf-${name}`), args);
    const deadline = Date.now() + 30000 * this.multiplier;
    while ((this.logText(name).match(/consuming topic=/g) || []).length < before + subscriptions) {
      if (exited(child) || Date.now() > deadline)
        throw new Error(`wf-${name} did not start:\n${this.logText(name).slice(-3000)}`);
      await sleep(20);
    }
  }

  // Starts wf-console; resolves to its base URL once /healthz answers.
  async startConsole() {
    const urlFile = path.join(this.dir, 'state', 'console.url');
    fs.rmSync(urlFile, { force: true }); // a restart writes it again
    await this.startService('console', 3);
    const deadline = Date.now() + 30000 * this.multiplier;
    for (;;) {
      const text = fs.existsSync(urlFile) ? fs.readFileSync(urlFile, 'utf8') : '';
      if (text.endsWith('\n')) { // written whole
        const url = text.trim();
        const res = await fetch(new URL('/healthz', url)).catch(() => null);
        if (res && res.ok) return url;
      }
      if (Date.now() > deadline) throw new Error(`wf-console did not answer:\n${this.logText('console').slice(-3000)}`);
      await sleep(50);
    }
  }

  // Runs wf-ingest on files; resolves to its exit code.
  ingest(args) {
    const child = this.s_spawn('ingest', this.bin('services/ingest/wf-ingest'), args);
    return new Promise((resolve) => {
      if (exited(child)) resolve(child.exitCode ?? 128);
      else child.on('exit', (code) => resolve(code ?? 128));
    });
  }

  // Stops one service with SIGTERM (SIGKILL after 10 s); resolves to how it ended: its exit
  // code, or the signal's name (a sanitizer report or a hang shows here).
  async stopService(name) {
    const entry = this.children.get(name);
    if (!entry) return null;
    if (!exited(entry.child)) {
      entry.child.kill('SIGTERM');
      const deadline = Date.now() + 10000 * this.multiplier;
      while (!exited(entry.child) && Date.now() < deadline) await sleep(50);
      if (!exited(entry.child)) entry.child.kill('SIGKILL');
      while (!exited(entry.child)) await sleep(20);
    }
    return entry.child.exitCode ?? entry.child.signalCode;
  }

  // Stops every child at once; resolves to {name: how it ended}.
  async stop() {
    const names = [...this.children.keys()];
    const ends = await Promise.all(names.map((name) => this.stopService(name)));
    return Object.fromEntries(names.map((name, i) => [name, ends[i]]));
  }

  // Drops the database; the scratch directory is removed only when the test passed.
  async destroy(passed) {
    await this.stop();
    if (this.databaseCreated) {
      try {
        this.sql(`DROP DATABASE IF EXISTS ${this.database} WITH (FORCE)`, `${this.baseConninfo} dbname=postgres`);
      } catch (err) {
        console.error(`console/ui: could not drop ${this.database}: ${err.message}`);
      }
    }
    if (passed) fs.rmSync(this.dir, { recursive: true, force: true });
    else console.error(`console/ui: logs and config kept in ${this.dir}`);
  }
}
