// HTTPS: `serve --tls-cert/--tls-key` answers over TLS, marks the session
// cookie Secure and sends HSTS; plain HTTP on that port gets nothing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { request } from 'node:https'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { addUser, BIN, freePort, tempDir } from './helpers.mjs'

function httpsCall(port, method, path, body) {
  return new Promise((ok, fail) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, rejectUnauthorized: false, headers: body ? { 'Content-Type': 'application/json' } : {} },
      (res) => {
        let data = ''
        res.on('data', (d) => (data += d))
        res.on('end', () => ok({ status: res.statusCode, headers: res.headers, body: data }))
      },
    )
    req.on('error', fail)
    if (body) req.write(JSON.stringify(body))
    req.end()
  })
}

test('HTTPS with a certificate: Secure cookie, HSTS, no plain HTTP', async () => {
  const dir = tempDir()
  try {
    const cert = join(dir, 'c.pem')
    const key = join(dir, 'k.pem')
    const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
      '-days', '1', '-subj', '/CN=localhost'], { encoding: 'utf8' })
    assert.equal(gen.status, 0, gen.stderr)
    const db = join(dir, 't.db')
    addUser(db, 'boss', 'admin')
    // startServer polls /healthz over plain HTTP, which a TLS-only server
    // refuses; so start it by hand here.
    const port = await freePort()
    const proc = spawn(BIN, ['serve', '--db', db, '--listen', `127.0.0.1:${port}`, '--tls-cert', cert, '--tls-key', key],
      { stdio: 'ignore' })
    try {
      let health
      for (let i = 0; i < 100; i++) {
        try {
          health = await httpsCall(port, 'GET', '/healthz')
          break
        } catch {
          await new Promise((r) => setTimeout(r, 100))
        }
      }
      assert.equal(health?.status, 200)
      assert.match(health.headers['strict-transport-security'] || '', /max-age=/)
      const login = await httpsCall(port, 'POST', '/api/v1/session', { username: 'boss', password: 'Passw0rd-123' })
      assert.equal(login.status, 200, login.body)
      const cookie = (login.headers['set-cookie'] || []).join(';')
      assert.match(cookie, /dd_session=.*HttpOnly.*SameSite=Strict.*Secure/)
      const plain = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 'refused')
      assert.notEqual(plain, 200)
    } finally {
      proc.kill('SIGTERM')
      await new Promise((r) => proc.on('exit', r))
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
