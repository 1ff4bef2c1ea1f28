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
  const headers = { Accept: 'application/json, application/problem+json', 'Accept-Language': currentLocale() }
  const init = { method, headers, credentials: 'same-origin' }
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json'
    init.body = JSON.stringify(body)
  }
  if (UNSAFE.has(method)) {
    const token = hooks.csrfToken()
    if (token) headers['X-CSRF-Token'] = token
  }
  let res
  try {
    res = await fetch(BASE + path, init)
  } catch (e) {
    if (!quiet) showError(e)
    throw e
  }
  let data = null
  if (res.status !== 204) {
    const text = await res.text()
    if (text) {
      try {
        data = JSON.parse(text)
      } catch {
        data = null
      }
    }
  }
  if (!res.ok) {
    const err = new ApiError(res.status, data)
    let handled = false
    if (!noRedirect) {
      if (res.status === 401 && err.code === 'unauthenticated') {
        hooks.onUnauthenticated(err) // the login page says the session expired
        handled = true
      }
      if (res.status === 403 && err.code === 'password_change_required') hooks.onPasswordChangeRequired(err)
    }
    if (!quiet && !handled) showError(err)
    throw err
  }
  return data
}

export const api = {
  get: (p, o) => request('GET', p, undefined, o),
  post: (p, b, o) => request('POST', p, b, o),
  put: (p, b, o) => request('PUT', p, b, o),
  patch: (p, b, o) => request('PATCH', p, b, o),
  del: (p, o) => request('DELETE', p, undefined, o),
}
