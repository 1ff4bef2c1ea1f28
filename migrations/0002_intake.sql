-- Lead intake: batches, leads, the do-not-call list, rejected rows kept for
-- a 24-hour download (masked), and settings defaults.

CREATE TABLE batches (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  source TEXT NOT NULL DEFAULT '',
  consent_note TEXT NOT NULL DEFAULT '',
  quality TEXT NOT NULL DEFAULT 'B' CHECK (quality IN ('A', 'B', 'C')),
  retention_days INTEGER,
  imported_by INTEGER REFERENCES users(id),
  imported_by_name TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  file_format TEXT NOT NULL DEFAULT '',
  rows_total INTEGER NOT NULL DEFAULT 0,
  imported INTEGER NOT NULL DEFAULT 0,
  invalid INTEGER NOT NULL DEFAULT 0,
  duplicate_in_file INTEGER NOT NULL DEFAULT 0,
  duplicate_existing INTEGER NOT NULL DEFAULT 0,
  dnc INTEGER NOT NULL DEFAULT 0,
  report TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE leads (
  id INTEGER PRIMARY KEY,
  batch_id INTEGER NOT NULL REFERENCES batches(id),
  phone TEXT NOT NULL,              -- E.164, the identity of a number
  name TEXT NOT NULL DEFAULT '',
  area TEXT NOT NULL DEFAULT '',
  phone_type TEXT NOT NULL DEFAULT '',
  region TEXT NOT NULL DEFAULT '',
  carrier TEXT NOT NULL DEFAULT '',
  timezone TEXT NOT NULL DEFAULT '',
  extension TEXT NOT NULL DEFAULT '',
  alternates TEXT NOT NULL DEFAULT '[]',   -- JSON array of E.164
  attributes TEXT NOT NULL DEFAULT '{}',   -- JSON object: the file's other columns
  quality TEXT NOT NULL DEFAULT 'B',
  status TEXT NOT NULL DEFAULT 'new',
  owner_id INTEGER REFERENCES users(id),
  source_row INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE INDEX leads_phone ON leads(phone, created_at);
CREATE INDEX leads_batch ON leads(batch_id);

CREATE TABLE dnc (
  id INTEGER PRIMARY KEY,
  phone TEXT NOT NULL UNIQUE,       -- E.164
  note TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL DEFAULT 'manual',
  added_by INTEGER REFERENCES users(id),
  added_by_name TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);

CREATE TABLE import_rejects (
  id INTEGER PRIMARY KEY,
  batch_id INTEGER NOT NULL REFERENCES batches(id),
  source_row INTEGER NOT NULL,
  bucket TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  phone_masked TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL DEFAULT '',
  expires_at INTEGER NOT NULL
);
CREATE INDEX import_rejects_batch ON import_rejects(batch_id, source_row);
