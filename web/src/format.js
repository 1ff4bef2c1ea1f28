// Small display helpers shared by the pages.

/** ISO timestamp -> "YYYY-MM-DD HH:mm" in the browser's time zone. */
export function formatDateTime(iso) {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return String(iso)
  const p = (n) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`
}

/** Flat [{id, parent_id}] -> tree with `children`, sorted by code/name; orphans become roots. */
export function buildTree(items) {
  const byId = new Map(items.map((d) => [d.id, { ...d, children: [] }]))
  const roots = []
  for (const node of byId.values()) {
    const parent = node.parent_id != null ? byId.get(node.parent_id) : null
    if (parent && parent !== node) parent.children.push(node)
    else roots.push(node)
  }
  const sort = (list) => {
    list.sort((a, b) => String(a.code ?? '').localeCompare(String(b.code ?? '')) || a.id - b.id)
    for (const n of list) {
      if (n.children.length) sort(n.children)
      else delete n.children
    }
  }
  sort(roots)
  return roots
}

/** ids of a node and all its descendants (to keep a department from becoming its own ancestor). */
export function subtreeIds(items, rootId) {
  const ids = new Set([rootId])
  let grew = true
  while (grew) {
    grew = false
    for (const d of items) {
      if (d.parent_id != null && ids.has(d.parent_id) && !ids.has(d.id)) {
        ids.add(d.id)
        grew = true
      }
    }
  }
  return ids
}
