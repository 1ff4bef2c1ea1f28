// Shared helpers of the black-box API tests: start the real `dialdeck` binary
// on a fresh database and a free port, run its CLI, and talk HTTP with plain
// fetch. No npm dependencies: `node --test tests/api/` from the repo root.
//
// The binary is env DIALDECK_BIN, else <repo>/build/dialdeck. It may be
// rebuilt while the tests run: if it is briefly missing we wait for it.
import { before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { spawn, spawnSync } from 'node:child_process'
import { accessSync, constants, copyFileSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
export const REPO = resolve(here, '../..')
export const BIN = process.env.DIALDECK_BIN || join(REPO, 'build/dialdeck')

export const PASSWORD = 'Passw0rd-123'
export const CJK = /[\u4e00-\u9fff]/
export const HAS_SQLITE3 = spawnSync('sqlite3', ['-version'], { encoding: 'utf8' }).status === 0

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

// The owner may rebuild the binary under us: wait until it exists, is
// executable and has not been written to for a second. While a build holds
// the machine-wide build lock (scripts/build-lock) we wait up to 3 minutes,
// otherwise 10 s, so a wrong DIALDECK_BIN fails fast.
function binaryReady() {
  try {
    accessSync(BIN, constants.X_OK)
    return Date.now() - statSync(BIN).mtimeMs > 1000
  } catch {
    return false
  }
}

function buildRunning() {
  if (!existsSync('/tmp/dialdeck-build.lock')) return false
  const r = spawnSync('flock', ['-n', '/tmp/dialdeck-build.lock', 'true'], { timeout: 5000 })
  return r.status === 1
}

function waitForBinarySync() {
  const started = Date.now()
  while (!binaryReady()) {
    const waited = Date.now() - started
    if (waited > 180_000 || (waited > 10_000 && !buildRunning())) {
      assert.fail(`server binary not usable at ${BIN} (build it, or set DIALDECK_BIN)`)
    }
    sleepSync(250)
  }
}

// Errors of exec() while the binary is being replaced.
const REBUILDING = new Set(['ENOENT', 'ETXTBSY', 'EACCES', 'ENOEXEC'])

/**
 * A clock for `dialdeck serve --clock-file`: Unix seconds in dir/now, starting at `start`.
 * clock.now is the time written last; it only moves forward (set / advance).
 */
export function testClock(dir, start) {
  const clock = {
    file: join(dir, 'now'),
    now: start,
    set(t) {
      assert.ok(t >= clock.now, 'the test clock only moves forward')
      clock.now = t
      writeFileSync(clock.file, `${t}\n`)
    },
    advance: (seconds) => clock.set(clock.now + seconds),
  }
  writeFileSync(clock.file, `${start}\n`)
  return clock
}

/** The paths (answer0.a.b …) of keys anywhere in `answers` that match `pattern`, skipping lead attributes. */
export function keysMatching(answers, pattern) {
  const found = []
  const walk = (v, path) => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`))
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (path.endsWith('.attributes')) continue
        if (pattern.test(k)) found.push(`${path}.${k}`)
        walk(x, `${path}.${k}`)
      }
    }
  }
  answers.forEach((a, i) => walk(a, `answer${i}`))
  return found
}

export function tempDir(prefix = 'dialdeck-api-') {
  return mkdtempSync(join(tmpdir(), prefix))
}

export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer()
    s.unref()
    s.on('error', fail)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => ok(port))
    })
  })
}

// ------------------------------------------------------------------ CLI

// Runs `dialdeck <args> [--db <db>]` with optional stdin. Returns
// {status, stdout, stderr}. CLI messages are English unless env says otherwise.
export function cli(args, { db, input, env } = {}) {
  const full = db ? [...args, '--db', db] : [...args]
  for (let attempt = 0; ; attempt++) {
    waitForBinarySync()
    const r = spawnSync(BIN, full, {
      input: input ?? '',
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, DIALDECK_LANG: 'en', ...env },
    })
    // The binary vanished between the check and the exec (being rebuilt).
    if (r.error && REBUILDING.has(r.error.code) && attempt < 240) {
      sleepSync(500)
      continue
    }
    if (r.error) throw r.error
    return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr }
  }
}

// Like cli(), but the command must succeed.
export function cliOk(args, opts) {
  const r = cli(args, opts)
  assert.equal(r.status, 0, `dialdeck ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`)
  return r
}

// Creates a user from the command line; returns its JSON line.
export function addUser(db, username, role, { password = PASSWORD, department } = {}) {
  const args = ['user', 'add', username, '--role', role, '--password-stdin']
  if (department) args.push('--department', department)
  const r = cliOk(args, { db, input: `${password}\n` })
  return JSON.parse(r.stdout.trim().split('\n').pop())
}

export function addDepartment(db, code, name, parent) {
  const args = ['department', 'add', code, '--name', name]
  if (parent) args.push('--parent', parent)
  const r = cliOk(args, { db })
  return JSON.parse(r.stdout.trim().split('\n').pop())
}

// Copies a (closed) SQLite database with its WAL files and its encryption
// key file (<db>.key, mode 0600), if any.
export function copyDb(from, to) {
  copyFileSync(from, to)
  for (const ext of ['-wal', '-shm', '.key']) {
    if (existsSync(from + ext)) copyFileSync(from + ext, to + ext)
    else rmSync(to + ext, { force: true })
  }
}

export function sqlite(db, sql) {
  const r = spawnSync('sqlite3', [db, sql], { encoding: 'utf8', timeout: 10_000 })
  assert.equal(r.status, 0, `sqlite3 ${sql}: ${r.stderr}`)
  return r.stdout
}

// ------------------------------------------------------------------ server

// spawn() that waits out a rebuild of the binary (missing or busy file).
async function spawnRetrying(args, opts) {
  for (let attempt = 0; ; attempt++) {
    waitForBinarySync()
    const proc = spawn(BIN, args, opts)
    const err = await new Promise((ok) => {
      proc.once('spawn', () => ok(null))
      proc.once('error', ok)
    })
    if (!err) return proc
    if (REBUILDING.has(err.code) && attempt < 240) {
      await sleep(500)
      continue
    }
    throw err
  }
}

// Starts `dialdeck serve` on a free port. `setup(db)` runs before the server
// starts (create users with the CLI there, so no admin is bootstrapped).
// Pass `db` to reuse an existing database (then the caller owns its folder).
export async function startServer({ setup, db, args = [], env } = {}) {
  const ownDir = !db
  const dir = ownDir ? tempDir() : dirname(db)
  db = db || join(dir, 't.db')
  let port, proc
  try {
    if (setup) await setup(db)
    port = await freePort()
    proc = await spawnRetrying(['serve', '--db', db, '--listen', `127.0.0.1:${port}`, ...args], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: env ? { ...process.env, ...env } : process.env,
    })
  } catch (e) {
    if (ownDir) rmSync(dir, { recursive: true, force: true })
    throw e
  }
  const base = `http://127.0.0.1:${port}`
  const srv = {
    base, port, db, dir, proc,
    stdout: '',
    stderr: '',
    exit: null, // {code, signal} once exited
    log() {
      return `--- stdout\n${srv.stdout}\n--- stderr\n${srv.stderr}`
    },
    // SIGTERM, then wait up to `ms` for the process to end. Returns {code, signal, ms}.
    async stop(ms = 10_000) {
      if (srv.exit) return srv.exit
      const started = Date.now()
      proc.kill('SIGTERM')
      let timer
      const ended = await Promise.race([exited, new Promise((ok) => (timer = setTimeout(ok, ms, null)))])
      clearTimeout(timer)
      if (!ended) {
        proc.kill('SIGKILL')
        await exited
        assert.fail(`server did not exit within ${ms} ms of SIGTERM\n${srv.log()}`)
      }
      return { ...ended, ms: Date.now() - started }
    },
    cleanup() {
      if (ownDir) rmSync(dir, { recursive: true, force: true })
    },
  }
  proc.stdout.setEncoding('utf8')
  proc.stderr.setEncoding('utf8')
  proc.stdout.on('data', (d) => (srv.stdout += d))
  proc.stderr.on('data', (d) => (srv.stderr += d))
  const exited = new Promise((ok) =>
    proc.on('exit', (code, signal) => {
      srv.exit = { code, signal }
      ok(srv.exit)
    }),
  )

  // Wait for GET /healthz to answer 200 (20 s).
  const deadline = Date.now() + 20_000
  let last = ''
  for (;;) {
    if (srv.exit) {
      srv.cleanup()
      assert.fail(`server exited early (${JSON.stringify(srv.exit)})\n${srv.log()}`)
    }
    try {
      const r = await fetch(`${base}/healthz`)
      await r.arrayBuffer()
      if (r.status === 200) break
      last = `HTTP ${r.status}`
    } catch (e) {
      last = e.cause?.code || e.message
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL')
      srv.cleanup()
      assert.fail(`server not healthy after 20 s (${last})\n${srv.log()}`)
    }
    await sleep(50)
  }
  srv.client = client(base)
  return srv
}

// Registers before/after hooks for one server per test file. The returned
// object is filled in by before(); after() stops it with SIGTERM, checks that
// it exits (code 0) within 10 s, and removes its temp folder.
// Other hooks that need the server must `await srv.ready` (Node 20 may run
// top-level before() hooks concurrently).
export function useServer(opts = {}) {
  const srv = {}
  let ready, failed
  srv.ready = new Promise((ok, fail) => ((ready = ok), (failed = fail)))
  srv.ready.catch(() => {})
  before(async () => {
    try {
      Object.assign(srv, await startServer(opts))
      ready(srv)
    } catch (e) {
      failed(e)
      throw e
    }
  })
  after(async () => {
    if (!srv.stop) return
    try {
      const { code, signal } = await srv.stop()
      assert.equal(signal, null, `server was killed by ${signal}\n${srv.log()}`)
      assert.equal(code, 0, `server exited with ${code}\n${srv.log()}`)
    } finally {
      srv.cleanup()
    }
  })
  return srv
}

// ------------------------------------------------------------------ HTTP

// A tiny client. request() returns {status, headers, body (parsed JSON when
// the answer is JSON, else text), text, res}.
export function client(base) {
  async function request(method, path, { body, cookie, csrf, bearer, headers = {}, lang } = {}) {
    const h = { ...headers }
    let payload
    if (body !== undefined) {
      if (typeof body === 'string' || body instanceof Uint8Array) {
        payload = body
        if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['Content-Type'] = 'application/json'
      } else {
        payload = JSON.stringify(body)
        h['Content-Type'] = 'application/json'
      }
    }
    if (cookie) h.Cookie = cookie
    if (csrf) h['X-CSRF-Token'] = csrf
    if (bearer) h.Authorization = `Bearer ${bearer}`
    if (lang) h['Accept-Language'] = lang
    const res = await fetch(base + path, { method, headers: h, body: payload, redirect: 'manual' })
    const text = await res.text()
    const type = res.headers.get('content-type') || ''
    let parsed = text
    if (/json/.test(type) && text) {
      try {
        parsed = JSON.parse(text)
      } catch {
        parsed = text
      }
    }
    return { status: res.status, headers: res.headers, body: parsed, text, res }
  }

  // POST /api/v1/session; asserts 200. Returns {cookie, csrf, user, res}.
  async function login(username, password = PASSWORD) {
    const r = await request('POST', '/api/v1/session', { body: { username, password } })
    assert.equal(r.status, 200, `login ${username}: ${r.status} ${r.text}`)
    const setCookie = r.headers.get('set-cookie') || ''
    const m = /(?:^|,\s*)(dd_session=[^;]+)/.exec(setCookie)
    assert.ok(m, `login ${username}: no dd_session cookie in ${setCookie}`)
    return { cookie: m[1], csrf: r.body.csrf_token, user: r.body.user, res: r }
  }

  // A request as a logged-in session: as(session).get('/x') etc.
  function as(session) {
    const auth = session.bearer ? { bearer: session.bearer } : { cookie: session.cookie, csrf: session.csrf }
    const call = (method) => (path, opts = {}) => request(method, path, { ...auth, ...opts })
    return { get: call('GET'), post: call('POST'), put: call('PUT'), patch: call('PATCH'), delete: call('DELETE') }
  }

  return { base, request, login, as }
}

// ------------------------------------------------------------------ checks

// Asserts an RFC 9457 problem answer with this status and code; the detail is
// Chinese by default, English when lang is 'en'.
export function assertProblem(r, status, code, { lang = 'zh' } = {}) {
  const where = `${r.res?.url ?? ''}: ${r.status} ${r.text}`
  assert.equal(r.status, status, `status, ${where}`)
  assert.match(r.headers.get('content-type') || '', /^application\/problem\+json/, `content-type, ${where}`)
  assert.equal(typeof r.body, 'object', `problem body is JSON, ${where}`)
  assert.equal(r.body.code, code, `problem code, ${where}`)
  assert.equal(r.body.status, status, `problem status field, ${where}`)
  assert.equal(typeof r.body.detail, 'string', `problem detail, ${where}`)
  assert.ok(r.body.detail.length > 0, `problem detail is empty, ${where}`)
  assert.notEqual(r.body.detail, code, `detail is the untranslated code, ${where}`)
  assert.equal(typeof r.body.title, 'string', `problem title, ${where}`)
  assert.equal(typeof r.body.type, 'string', `problem type, ${where}`)
  if (lang === 'en') {
    assert.doesNotMatch(r.body.detail, CJK, `detail should be English, ${where}`)
    assert.match(r.body.detail, /[A-Za-z]{3}/, `detail should be English, ${where}`)
    assert.doesNotMatch(r.body.title, CJK, `title should be English, ${where}`)
  } else {
    assert.match(r.body.detail, CJK, `detail should be Chinese by default, ${where}`)
    assert.match(r.body.title, CJK, `title should be Chinese by default, ${where}`)
  }
}

export function assertSecurityHeaders(headers, where = '') {
  const csp = headers.get('content-security-policy')
  assert.ok(csp, `Content-Security-Policy missing ${where}`)
  assert.match(csp, /frame-ancestors 'none'/, `CSP without frame-ancestors 'none' ${where}`)
  assert.equal(headers.get('x-content-type-options'), 'nosniff', `X-Content-Type-Options ${where}`)
  assert.ok(headers.get('referrer-policy'), `Referrer-Policy missing ${where}`)
}

// ------------------------------------------------------------------ leads, settings, many users

const CN_MOBILE_PREFIXES = ['138', '139', '150', '186']

// The i-th test mobile number (11 digits, a valid CN mobile); distinct i give
// distinct numbers.
export function cnMobile(i) {
  return CN_MOBILE_PREFIXES[i % 4] + String(i).padStart(8, '0')
}

// Writes a lead CSV (header 电话,姓名 plus the `extra` columns, same value on
// every row) into `dir`. Numbers are cnMobile(from) .. cnMobile(from + n - 1).
// Returns {file, phones} (phones as written, 11 digits).
export function writeLeadsCsv(dir, name, n, { from = 0, extra = {} } = {}) {
  const cols = Object.keys(extra)
  const rows = [['电话', '姓名', ...cols].join(',')]
  const phones = []
  for (let i = 0; i < n; i++) {
    const phone = cnMobile(from + i)
    phones.push(phone)
    rows.push([phone, `客户${from + i}`, ...cols.map((c) => extra[c])].join(','))
  }
  const file = join(dir, name)
  writeFileSync(file, rows.join('\n') + '\n')
  return { file, phones }
}

// `dialdeck import FILE --json --quality Q`; returns the report.
export function importLeads(db, file, { quality = 'B', name } = {}) {
  const args = ['import', file, '--json', '--quality', quality]
  if (name) args.push('--batch-name', name)
  return JSON.parse(cliOk(args, { db }).stdout.trim().split('\n').pop())
}

// `dialdeck settings set KEY VALUE` for every entry.
export function setSettings(db, settings) {
  for (const [k, v] of Object.entries(settings)) cliOk(['settings', 'set', k, String(v)], { db })
}

// Creates several users with CLI processes running side by side (password
// hashing is the slow part). specs: [{username, role, department?}]. Returns
// their JSON lines in the same order.
export async function addUsers(db, specs, { concurrency = 4 } = {}) {
  cliOk(['migrate'], { db }) // a new database: migrate once, not in every process at once
  const out = new Array(specs.length)
  let next = 0
  const one = async (spec) => {
    const args = ['user', 'add', spec.username, '--role', spec.role, '--password-stdin', '--db', db]
    if (spec.department) args.push('--department', spec.department)
    for (let attempt = 0; ; attempt++) {
      waitForBinarySync()
      const r = await new Promise((ok) => {
        const p = spawn(BIN, args, { env: { ...process.env, DIALDECK_LANG: 'en' } })
        let stdout = ''
        let stderr = ''
        p.stdout.setEncoding('utf8').on('data', (d) => (stdout += d))
        p.stderr.setEncoding('utf8').on('data', (d) => (stderr += d))
        p.on('error', (error) => ok({ error }))
        p.on('close', (status) => ok({ status, stdout, stderr }))
        p.stdin.on('error', () => {})
        p.stdin.end(`${spec.password ?? PASSWORD}\n`)
      })
      if (r.error && REBUILDING.has(r.error.code) && attempt < 240) {
        await sleep(500)
        continue
      }
      if (r.error) throw r.error
      assert.equal(r.status, 0, `dialdeck user add ${spec.username} failed (${r.status}):\n${r.stdout}\n${r.stderr}`)
      return JSON.parse(r.stdout.trim().split('\n').pop())
    }
  }
  const workers = Array.from({ length: Math.min(concurrency, specs.length) }, async () => {
    while (next < specs.length) {
      const i = next++
      out[i] = await one(specs[i])
    }
  })
  await Promise.all(workers)
  return out
}

// ------------------------------------------------------------------ xlsx

// Unzips an xlsx (with Python, in `dir`): {names, parts: {name: text}}.
export function unzipXlsx(bytes, dir) {
  const file = join(dir, `x-${randomUUID()}.xlsx`)
  writeFileSync(file, bytes)
  const r = spawnSync(
    'python3',
    ['-c', 'import json,sys,zipfile\nz=zipfile.ZipFile(sys.argv[1])\nprint(json.dumps({n: z.read(n).decode("utf-8") for n in z.namelist()}))', file],
    { encoding: 'utf8' },
  )
  rmSync(file, { force: true })
  assert.equal(r.status, 0, r.stderr)
  const parts = JSON.parse(r.stdout)
  return { names: Object.keys(parts), parts }
}

// Rows of sheet1 (inline strings in constant-memory mode, or shared strings),
// each cell at the column its reference names (an empty cell is not written).
export function sheetRows({ parts }) {
  const shared = [...(parts['xl/sharedStrings.xml'] || '').matchAll(/<si>([\s\S]*?)<\/si>/g)].map((m) =>
    [...m[1].matchAll(/<t[^>]*>([^<]*)<\/t>/g)].map((x) => x[1]).join(''),
  )
  const column = (ref) => [...ref].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0) - 1
  const sheet = parts['xl/worksheets/sheet1.xml']
  return [...sheet.matchAll(/<row [^>]*>([\s\S]*?)<\/row>/g)].map((row) => {
    const cells = []
    for (const c of row[1].matchAll(/<c ([^>]*?)(?:\/>|>([\s\S]*?)<\/c>)/g)) {
      const body = c[2] || ''
      let value
      if (/t="s"/.test(c[1])) value = shared[Number(/<v>(\d+)<\/v>/.exec(body)[1])]
      else {
        const t = /<t[^>]*>([^<]*)<\/t>/.exec(body)
        value = t ? t[1] : (/<v>([^<]*)<\/v>/.exec(body) || [])[1]
      }
      const ref = /\br="([A-Z]+)\d+"/.exec(c[1])
      cells[ref ? column(ref[1]) : cells.length] = value
    }
    return cells
  })
}

// Answers every lead on the desk with `answer(lead)` (which returns the
// desk that follows) until the desk is empty; returns the leads seen.
export async function workThroughDesk(lead, answer) {
  const seen = []
  for (let guard = 0; lead && guard < 100; guard++) {
    seen.push(lead)
    lead = (await answer(lead)).lead
  }
  assert.equal(lead, null, 'the desk ends empty')
  return seen
}
