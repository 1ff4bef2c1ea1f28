// Thin fetch wrapper for /api/v1: JSON in and out, Accept-Language, CSRF,
// RFC 9457 problem+json errors shown with the server's localized detail.
import { ElMessage } from 'element-plus'
import 'element-plus/es/components/message/style/css'
import { i18n, currentLocale } from './i18n'

const BASE = '/api/v1'
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

const hooks = {
  csrfToken: () => null,
  onUnauthenticated: () => {},
  onPasswordChangeRequired: () => {},
}

export function configureApi(h) {
  Object.assign(hooks, h)
}

export class ApiError extends Error {
  constructor(status, problem) {
    const detail = problem?.detail || problem?.title || ''
    super(detail || `HTTP ${status}`)
    this.name = 'ApiError'
    this.status = status
    this.code = problem?.code || null
    this.problem = problem || null
    this.detail = detail
  }
}

/** The text to show for an error, in the UI language. */
export function errorText(err) {
  if (err instanceof ApiError) {
    if (err.detail) return err.detail
    if (err.status === 403) return i18n.global.t('errors.forbidden')
    if (err.status === 413) return i18n.global.t('errors.tooLarge')
    return i18n.global.t('errors.unknown', { status: err.status })
  }
  return i18n.global.t('errors.network')
}

export function showError(err) {
  ElMessage({ type: 'error', message: errorText(err), grouping: true, showClose: true })
}

/**
 * request('GET', '/users') -> parsed JSON (null for 204).
 * Options: quiet (no ElMessage on failure), noRedirect (no 401/403 handling).
 */
export async function request(method, path, body, { quiet = false, noRedirect = false } = {}) {
  const headers = baseHeaders(method)
  const init = { method, headers, credentials: 'same-origin' }
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json'
    init.body = JSON.stringify(body)
  }
  let res
  try {
    res = await fetch(BASE + path, init)
  } catch (e) {
    if (!quiet) showError(e)
    throw e
  }
  let data = null
  if (res.status !== 204) data = parseJson(await res.text())
  if (!res.ok) throw failure(res.status, data, { quiet, noRedirect })
  return data
}

function parseJson(text) {
  if (!text) return null
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

/** Builds the ApiError for a failed answer; runs the 401/403 hooks and shows the message unless quiet. */
function failure(status, data, { quiet = false, noRedirect = false } = {}) {
  const err = new ApiError(status, data)
  let handled = false
  if (!noRedirect) {
    if (status === 401 && err.code === 'unauthenticated') {
      hooks.onUnauthenticated(err) // the login page says the session expired
      handled = true
    }
    if (status === 403 && err.code === 'password_change_required') hooks.onPasswordChangeRequired(err)
  }
  if (!quiet && !handled) showError(err)
  return err
}

function baseHeaders(method) {
  const headers = { Accept: 'application/json, application/problem+json', 'Accept-Language': currentLocale() }
  if (UNSAFE.has(method)) {
    const token = hooks.csrfToken()
    if (token) headers['X-CSRF-Token'] = token
  }
  return headers
}

/**
 * upload('/imports/preview', formData, { onProgress }) -> parsed JSON.
 * XMLHttpRequest rather than fetch, so that the upload progress can be shown:
 * onProgress({ loaded, total, percent }) while the body is sent.
 * Returns { promise, abort }.
 */
export function upload(path, formData, { onProgress, quiet = false, noRedirect = false, method = 'POST' } = {}) {
  const xhr = new XMLHttpRequest()
  const promise = new Promise((resolve, reject) => {
    xhr.open(method, BASE + path)
    for (const [k, v] of Object.entries(baseHeaders(method))) xhr.setRequestHeader(k, v)
    if (onProgress) {
      xhr.upload.onprogress = (e) => {
        const total = e.lengthComputable ? e.total : 0
        onProgress({ loaded: e.loaded, total, percent: total ? Math.min(100, Math.round((e.loaded * 100) / total)) : 0 })
      }
      xhr.upload.onload = () => onProgress({ loaded: 1, total: 1, percent: 100, done: true })
    }
    xhr.onload = () => {
      const data = xhr.status === 204 ? null : parseJson(xhr.responseText)
      if (xhr.status >= 200 && xhr.status < 300) resolve(data)
      else reject(failure(xhr.status, data, { quiet, noRedirect }))
    }
    xhr.onerror = () => {
      const e = new TypeError('network error')
      if (!quiet) showError(e)
      reject(e)
    }
    xhr.onabort = () => reject(new DOMException('aborted', 'AbortError'))
    xhr.send(formData)
  })
  return { promise, abort: () => xhr.abort() }
}

/** Downloads a file from a same-origin API path (errors shown as usual), saving it as `filename`. */
export async function download(url, filename) {
  const path = url.startsWith(BASE + '/') ? url : BASE + url
  let res
  try {
    res = await fetch(path, { headers: { ...baseHeaders('GET'), Accept: '*/*' }, credentials: 'same-origin' })
  } catch (e) {
    showError(e)
    throw e
  }
  if (!res.ok) throw failure(res.status, parseJson(await res.text()))
  const blob = await res.blob()
  const name = filename || filenameFrom(res.headers.get('Content-Disposition')) || path.split('/').pop()
  const href = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = href
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(href), 10_000)
}

function filenameFrom(disposition) {
  if (!disposition) return null
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition)
  if (star) {
    try {
      return decodeURIComponent(star[1].trim())
    } catch {
      /* fall through */
    }
  }
  const plain = /filename="?([^";]+)"?/i.exec(disposition)
  return plain ? plain[1].trim() : null
}

export const api = {
  get: (p, o) => request('GET', p, undefined, o),
  post: (p, b, o) => request('POST', p, b, o),
  put: (p, b, o) => request('PUT', p, b, o),
  patch: (p, b, o) => request('PATCH', p, b, o),
  del: (p, o) => request('DELETE', p, undefined, o),
}
