// 10. The command-line contract: help, exit codes, messages on stderr.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { CJK, PASSWORD, cli, tempDir } from './helpers.mjs'

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
