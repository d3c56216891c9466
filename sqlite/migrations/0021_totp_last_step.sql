-- 0021: the last TOTP time step accepted per admin, so that a code is
-- accepted once (RFC 6238, section 5.2).

ALTER TABLE admin_users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
