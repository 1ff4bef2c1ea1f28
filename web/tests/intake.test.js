import { describe, expect, it } from 'vitest'
import zhCN from '../src/locales/zh-CN.json'
import en from '../src/locales/en.json'
import {
  BUCKETS,
  COLUMN_ROLES,
  INVALID_REASONS,
  PHASES,
  QUALITIES,
  acceptedFile,
  baseName,
  bucketTotal,
  buildMapping,
  initialRoles,
  mappingProblem,
  newProgressId,
  previewColumns,
  reasonList,
} from '../src/intake'

describe('intake helpers', () => {
  it('takes the batch name from the file name', () => {
    expect(baseName('2026年11月 楼盘客户.xlsx')).toBe('2026年11月 楼盘客户')
    expect(baseName('list.v2.csv')).toBe('list.v2')
    expect(baseName('C:\\fakepath\\名单.xls')).toBe('名单')
    expect(baseName('.hidden')).toBe('.hidden')
    expect(baseName('noext')).toBe('noext')
  })
  it('accepts the spreadsheet types only', () => {
    for (const n of ['a.xlsx', 'B.XLS', 'c.csv', 'd.txt']) expect(acceptedFile(n), n).toBe(true)
    for (const n of ['a.pdf', 'b.xlsx.exe', 'csv', '']) expect(acceptedFile(n), n).toBe(false)
  })
  it('starts from the suggested roles', () => {
    const cols = [
      { index: 0, header: '序号', role: 'attribute' },
      { index: 3, header: '电话', role: 'phone' },
      { index: 4, header: '?', role: 'weird' },
    ]
    expect(initialRoles(cols)).toEqual({ 0: 'attribute', 3: 'phone', 4: 'attribute' })
    expect(mappingProblem(initialRoles(cols))).toBe(null)
    expect(mappingProblem({ 0: 'name' })).toBe('no_phone')
  })
  it('shows every column of the preview, also those without a header', () => {
    const p = { columns: [{ index: 1, header: '电话' }], rows: [['1', '138', 'x']] }
    expect(previewColumns(p)).toEqual([
      { index: 0, header: '' },
      { index: 1, header: '电话' },
      { index: 2, header: '' },
    ])
    expect(previewColumns(null)).toEqual([])
  })
  it('builds the mapping with every column', () => {
    const cols = [{ index: 0 }, { index: 1 }, { index: 2 }]
    expect(buildMapping('2', cols, { 0: 'name', 1: 'phone' })).toEqual({
      header_row: 2,
      columns: [
        { index: 0, role: 'name' },
        { index: 1, role: 'phone' },
        { index: 2, role: 'attribute' },
      ],
    })
    expect(buildMapping(null, [], {}).header_row).toBe(0)
  })
  it('adds up the buckets and sorts the reasons', () => {
    const r = { rows: 10, imported: 5, invalid: 2, duplicate_in_file: 1, duplicate_existing: 1, dnc: 1 }
    expect(bucketTotal(r)).toBe(10)
    expect(reasonList({ too_short: 1, invalid_number: 4, brand_new: 1 })).toEqual([
      { code: 'invalid_number', count: 4, known: true },
      { code: 'brand_new', count: 1, known: false },
      { code: 'too_short', count: 1, known: true },
    ])
    expect(reasonList(null)).toEqual([])
  })
  it('makes distinct progress ids', () => {
    const a = newProgressId()
    expect(a).toMatch(/^[0-9a-f-]{32,36}$/)
    expect(newProgressId()).not.toBe(a)
  })
})

describe('intake texts', () => {
  for (const [lang, m] of [
    ['zh-CN', zhCN],
    ['en', en],
  ]) {
    it(`${lang}: every role, bucket, reason, phase and quality has a text`, () => {
      for (const r of COLUMN_ROLES) expect(m.intake.roles[r], r).toBeTruthy()
      for (const b of BUCKETS) expect(m.report.buckets[b], b).toBeTruthy()
      for (const c of INVALID_REASONS) expect(m.report.reason[c], c).toBeTruthy()
      for (const p of PHASES) expect(m.intake.phase[p], p).toBeTruthy()
      for (const q of QUALITIES) expect(m.quality[q], q).toBeTruthy()
    })
  }
  it('uses the product words in Chinese', () => {
    expect(zhCN.quality).toMatchObject({ A: '优', B: '良', C: '普' })
    expect(zhCN.menu).toMatchObject({ import: '导入线索', batches: '批次', dnc: '免打扰名单' })
    expect(zhCN.intake.roles).toMatchObject({ phone: '电话', name: '姓名', area: '区域', attribute: '保留为附加信息', ignore: '忽略' })
    expect(zhCN.report.buckets).toMatchObject({
      imported: '导入成功',
      invalid: '无效',
      duplicate_in_file: '文件内重复',
      duplicate_existing: '与已有数据重复',
      dnc: '免打扰',
    })
  })
})
