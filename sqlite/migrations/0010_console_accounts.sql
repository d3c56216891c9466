-- 0010: admin accounts and server-side sessions of the console.

CREATE TABLE admin_users (
    id                  INTEGER PRIMARY KEY,
    email               TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name                TEXT NOT NULL DEFAULT '',
    password_hash       TEXT NOT NULL,              -- argon2id, PHC string
    totp_secret         TEXT NOT NULL DEFAULT '',   -- base32; '' when two-factor is off
    created_at          TEXT NOT NULL,
    password_changed_at TEXT NOT NULL,
    last_login_at       TEXT
);

-- One-time codes that stand in for a TOTP code; only hashes are kept.
CREATE TABLE admin_recovery_codes (
    user_id   INTEGER NOT NULL REFERENCES admin_users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   TEXT,
    PRIMARY KEY (user_id, code_hash)
) WITHOUT ROWID;

-- The browser holds a 256-bit random id; the row is keyed by its SHA-256,
-- so the database (or a backup of it) holds no usable session.
CREATE TABLE admin_sessions (
    id_hash      TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES admin_users (id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    stage        TEXT NOT NULL DEFAULT 'full' CHECK (stage IN ('full', 'totp')),
    pending_totp TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX admin_sessions_user ON admin_sessions (user_id);
