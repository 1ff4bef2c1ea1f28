-- Encryption at rest (src/core/vault.hpp): leads and do-not-call numbers are
-- found through a keyed blind index (phone_key, a 64-bit SipHash of the E.164
-- number) while phone, alternates and attributes hold sealed values. Rows
-- written before this migration get their phone_key (and, with encryption
-- on, their sealed values) when the application next opens the database.
CREATE TABLE vault_meta (
  name TEXT PRIMARY KEY,
  value BLOB NOT NULL
);

ALTER TABLE leads ADD COLUMN phone_key INTEGER;
DROP INDEX leads_phone;
CREATE INDEX leads_phone_key ON leads(phone_key);

-- Only leads dealt to an agent are in the desk's index: an import of a
-- million pool leads adds nothing to it.
DROP INDEX leads_queue;
CREATE INDEX leads_queue ON leads(owner_id, status, queue_pos) WHERE owner_id IS NOT NULL;

CREATE TABLE dnc_new (
  id INTEGER PRIMARY KEY,
  phone_key INTEGER UNIQUE,
  phone BLOB NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL DEFAULT 'manual',
  added_by INTEGER REFERENCES users(id),
  added_by_name TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
INSERT INTO dnc_new (id, phone, note, source, added_by, added_by_name, created_at)
  SELECT id, phone, note, source, added_by, added_by_name, created_at FROM dnc;
DROP TABLE dnc;
ALTER TABLE dnc_new RENAME TO dnc;
