import { describe, expect, it } from 'vitest'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import zhCN from '../src/locales/zh-CN.json'
import en from '../src/locales/en.json'
import { ROLES, menuForRole } from '../src/menu'

function flatten(obj, prefix = '') {
  const out = {}
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k
    if (v && typeof v === 'object') Object.assign(out, flatten(v, key))
    else out[key] = v
  }
  return out
}

const zh = flatten(zhCN)
const eng = flatten(en)
const placeholders = (s) => [...String(s).matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

describe('translation files', () => {
  it('every zh-CN key exists in en', () => {
    expect(Object.keys(zh).filter((k) => !(k in eng))).toEqual([])
  })
  it('every en key exists in zh-CN', () => {
    expect(Object.keys(eng).filter((k) => !(k in zh))).toEqual([])
  })
  it('no message is empty and all are strings', () => {
    for (const [k, v] of [...Object.entries(zh), ...Object.entries(eng)]) {
      expect(typeof v, k).toBe('string')
      expect(v.trim().length, k).toBeGreaterThan(0)
    }
  })
  it('both languages use the same placeholders', () => {
    for (const k of Object.keys(zh)) expect(placeholders(eng[k]), k).toEqual(placeholders(zh[k]))
  })
  it('has a name for every role and a label for every menu item', () => {
    for (const role of ROLES) {
      expect(zh[`roles.${role}`]).toBeTruthy()
      expect(eng[`roles.${role}`]).toBeTruthy()
      for (const item of menuForRole(role)) {
        expect(zh[item.label], item.label).toBeTruthy()
        expect(eng[item.label], item.label).toBeTruthy()
      }
    }
    expect(zh['roles.agent']).toBe('业务员')
    expect(zh['roles.manager']).toBe('主管')
  })
  it('every t() key literal used in the sources exists', () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), '../src')
    const files = []
    const walk = (d) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name))
        else if (/\.(vue|js)$/.test(e.name)) files.push(join(d, e.name))
      }
    }
    walk(root)
    const missing = []
    for (const f of files) {
      const src = readFileSync(f, 'utf8')
      for (const m of src.matchAll(/\bt\(\s*'([\w.-]+)'/g)) {
        if (!(m[1] in zh)) missing.push(`${f}: ${m[1]}`)
      }
    }
    expect(missing).toEqual([])
  })
})
