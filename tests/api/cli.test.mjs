// 10. The command-line contract: help, exit codes, messages on stderr.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { CJK, PASSWORD, REPO, cli, tempDir } from './helpers.mjs'

const dir = tempDir()
const db = join(dir, 't.db')
after(() => rmSync(dir, { recursive: true, force: true }))

const users = () => {
  const r = cli(['user', 'list'], { db })
  assert.equal(r.status, 0, r.stderr)
  return r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))
}

test('`dialdeck --help` exits 0 and lists the commands', () => {
  const r = cli(['--help'])
  assert.equal(r.status, 0, r.stderr)
  for (const cmd of ['serve', 'user', 'department', 'token', 'audit']) assert.match(r.stdout, new RegExp(`\\b${cmd}\\b`))
})

test('`dialdeck serve --help` mentions --db and --listen', () => {
  const r = cli(['serve', '--help'])
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /--db\b/)
  assert.match(r.stdout, /--listen\b/)
})

test('no command, or an unknown one: non-zero exit', () => {
  assert.notEqual(cli([]).status, 0)
  const r = cli(['frobnicate'])
  assert.notEqual(r.status, 0)
  assert.ok((r.stderr + r.stdout).trim().length > 0)
})

test('`user add` with a good password exits 0 and prints the user as JSON', () => {
  const r = cli(['user', 'add', 'first', '--role', 'admin', '--password-stdin', '--display-name', '第一'], {
    db, input: `${PASSWORD}\n`,
  })
  assert.equal(r.status, 0, r.stderr)
  const u = JSON.parse(r.stdout.trim().split('\n').pop())
  assert.equal(u.username, 'first')
  assert.equal(u.role, 'admin')
  assert.equal(u.display_name, '第一')
  assert.ok(!r.stdout.includes(PASSWORD), 'the password is not echoed')
  assert.ok(users().some((x) => x.username === 'first'))
})

test('`user add x --role agent --password-stdin` with a short password: non-zero exit, message on stderr', () => {
  const r = cli(['user', 'add', 'x', '--role', 'agent', '--password-stdin'], { db, input: 'short\n' })
  assert.notEqual(r.status, 0)
  assert.match(r.stderr, /password/i)
  assert.match(r.stderr, /8/)
  assert.ok(!users().some((u) => u.username === 'x'), 'no user was created')

  const empty = cli(['user', 'add', 'x', '--role', 'agent', '--password-stdin'], { db, input: '' })
  assert.notEqual(empty.status, 0, 'an empty stdin is refused')
  assert.ok(empty.stderr.trim().length > 0)

  const zh = cli(['user', 'add', 'x', '--role', 'agent', '--password-stdin'], {
    db, input: 'short\n', env: { DIALDECK_LANG: 'zh_CN.UTF-8' },
  })
  assert.notEqual(zh.status, 0)
  assert.match(zh.stderr, CJK, 'a Chinese locale gets a Chinese message')
})

test('`user add` with an unknown department: non-zero exit, message on stderr', () => {
  const r = cli(['user', 'add', 'y', '--role', 'agent', '--department', 'NO-SUCH', '--password-stdin'], {
    db, input: `${PASSWORD}\n`,
  })
  assert.notEqual(r.status, 0)
  assert.match(r.stderr, /department/i)
  assert.ok(!users().some((u) => u.username === 'y'))
})

test('`user add` refusals: duplicate name, bad role, bad name, no --password-stdin', () => {
  const dup = cli(['user', 'add', 'first', '--role', 'agent', '--password-stdin'], { db, input: `${PASSWORD}\n` })
  assert.notEqual(dup.status, 0)
  assert.match(dup.stderr, /first/)
  const role = cli(['user', 'add', 'z', '--role', 'superuser', '--password-stdin'], { db, input: `${PASSWORD}\n` })
  assert.notEqual(role.status, 0)
  assert.ok(role.stderr.trim().length > 0)
  const name = cli(['user', 'add', "z'; DROP TABLE users;--", '--role', 'agent', '--password-stdin'], {
    db, input: `${PASSWORD}\n`,
  })
  assert.notEqual(name.status, 0)
  const nostdin = cli(['user', 'add', 'z', '--role', 'agent'], { db })
  assert.notEqual(nostdin.status, 0)
  assert.deepEqual(users().map((u) => u.username), ['first'])
})

test('`department add` and `department list`; an unknown parent exits non-zero', () => {
  const a = cli(['department', 'add', 'HQ', '--name', '总部'], { db })
  assert.equal(a.status, 0, a.stderr)
  const b = cli(['department', 'add', 'S1', '--name', '电销一部', '--parent', 'HQ'], { db })
  assert.equal(b.status, 0, b.stderr)
  const bad = cli(['department', 'add', 'S2', '--name', 'x', '--parent', 'NOPE'], { db })
  assert.notEqual(bad.status, 0)
  assert.match(bad.stderr, /department/i)
  const dup = cli(['department', 'add', 'HQ', '--name', 'again'], { db })
  assert.notEqual(dup.status, 0)
  const list = cli(['department', 'list'], { db })
  assert.equal(list.status, 0)
  const codes = list.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l).code)
  assert.deepEqual(codes.sort(), ['HQ', 'S1'])
})

test('`user disable` / `user passwd` / `user enable` exit 0 for a known user, non-zero for an unknown one', () => {
  assert.equal(cli(['user', 'disable', 'first'], { db }).status, 0)
  assert.equal(users().find((u) => u.username === 'first').active, false)
  assert.equal(cli(['user', 'enable', 'first'], { db }).status, 0)
  assert.equal(users().find((u) => u.username === 'first').active, true)
  const pw = cli(['user', 'passwd', 'first', '--password-stdin'], { db, input: 'Another-pass-1\n' })
  assert.equal(pw.status, 0, pw.stderr)
  assert.notEqual(cli(['user', 'passwd', 'first', '--password-stdin'], { db, input: 'short\n' }).status, 0)
  assert.notEqual(cli(['user', 'disable', 'ghost'], { db }).status, 0)
})

test('`audit verify` exits 0 on an intact chain and `audit list` shows entries', () => {
  const v = cli(['audit', 'verify'], { db })
  assert.equal(v.status, 0, v.stdout + v.stderr)
  const l = cli(['audit', 'list', '--limit', '5'], { db })
  assert.equal(l.status, 0)
  const lines = l.stdout.split('\n').filter((x) => /^\d+\s/.test(x))
  assert.equal(lines.length, 5)
})

// Scripts capture stdout (`dialdeck user add ... | jq`, `TOKEN=$(dialdeck token
// create ci)`); log lines such as the migration notice must not land there.
test('on a fresh database, stdout holds only the command output (logs go to stderr)', () => {
  const fresh = join(dir, 'fresh1.db')
  const r = cli(['user', 'add', 'solo', '--role', 'admin', '--password-stdin'], { db: fresh, input: `${PASSWORD}\n` })
  assert.equal(r.status, 0, r.stderr)
  const lines = r.stdout.trim().split('\n')
  assert.equal(lines.length, 1, `stdout should be one JSON line, got:\n${r.stdout}`)
  assert.equal(JSON.parse(lines[0]).username, 'solo')

  const fresh2 = join(dir, 'fresh2.db')
  const d = cli(['department', 'add', 'HQ', '--name', '总部'], { db: fresh2 })
  assert.equal(d.status, 0, d.stderr)
  assert.doesNotThrow(() => JSON.parse(d.stdout), `stdout should be JSON, got:\n${d.stdout}`)
})

// `dialdeck settings list` is how an owner sees what can be tuned: every
// setting with its value and, when changed, the default it replaced.
test('`settings list` shows every setting with its default; `settings set` changes one and refuses unknown keys', () => {
  const sdb = join(dir, 'settings.db')
  const list = () => {
    const r = cli(['settings', 'list'], { db: sdb })
    assert.equal(r.status, 0, r.stderr)
    const lines = r.stdout.split('\n').filter((l) => l.trim())
    const byKey = {}
    for (const l of lines) {
      const m = /^([a-z_]+) = (.*?)  \((default(?:: (.*))?)\)$/.exec(l)
      assert.ok(m, `a settings line is "key = value  (default…)": ${JSON.stringify(l)}`)
      byKey[m[1]] = { value: m[2], isDefault: m[3] === 'default', default: m[3] === 'default' ? m[2] : m[4] }
    }
    return byKey
  }

  const fresh = list()
  const defaults = {
    calling_hours: '09:00-21:00',
    low_stock_threshold: '10',
    reveal_budget_per_hour: '150',
    default_retention_days: '0',
    max_attempts: '3',
  }
  for (const [key, value] of Object.entries(defaults)) {
    assert.ok(fresh[key], `${key} is listed`)
    assert.deepEqual(fresh[key], { value, isDefault: true, default: value }, key)
  }
  assert.ok(Object.values(fresh).every((s) => s.isDefault), 'a fresh database has only defaults')
  // Every setting the API documents (SettingKey in docs/api/openapi.yaml) is listed.
  const documented = /SettingKey:\s+type: string\s+enum: \[([^\]]+)\]/.exec(readFileSync(join(REPO, 'docs/api/openapi.yaml'), 'utf8'))
  assert.ok(documented, 'SettingKey enum in docs/api/openapi.yaml')
  assert.deepEqual(Object.keys(fresh).sort(), documented[1].split(',').map((k) => k.trim()).sort(), 'every setting is listed')

  const set = cli(['settings', 'set', 'low_stock_threshold', '7'], { db: sdb })
  assert.equal(set.status, 0, set.stderr)
  assert.match(set.stdout, /low_stock_threshold = 7/)
  const changed = list()
  assert.deepEqual(changed.low_stock_threshold, { value: '7', isDefault: false, default: '10' },
    'the list shows the new value and still names the default')
  assert.deepEqual(Object.keys(changed), Object.keys(fresh), 'the same settings, in the same order')
  for (const key of Object.keys(fresh)) {
    if (key !== 'low_stock_threshold') assert.deepEqual(changed[key], fresh[key], `${key} is untouched`)
  }

  const unknown = cli(['settings', 'set', 'no_such_setting', '1'], { db: sdb })
  assert.notEqual(unknown.status, 0, 'an unknown key fails')
  assert.match(unknown.stderr, /no_such_setting/, 'the message names the key')
  assert.match(unknown.stderr, /setting/i)
  assert.ok(!/no_such_setting/.test(cli(['settings', 'list'], { db: sdb }).stdout), 'nothing was stored')

  const bad = cli(['settings', 'set', 'low_stock_threshold', 'lots'], { db: sdb })
  assert.notEqual(bad.status, 0, 'a bad value fails')
  assert.match(bad.stderr, /low_stock_threshold/)
  const badHours = cli(['settings', 'set', 'calling_hours', '25:00-26:00'], { db: sdb })
  assert.notEqual(badHours.status, 0, 'a bad calling window fails')
  const later = list()
  assert.equal(later.low_stock_threshold.value, '7', 'a refused value leaves the old one')
  assert.equal(later.calling_hours.value, '09:00-21:00')
})
