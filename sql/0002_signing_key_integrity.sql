-- 0002_signing_key_integrity.sql: bind each signing key's public half and state
-- to the key-encryption key.
--
-- integrity_tag is HMAC-SHA-256, under a key derived from the key-encryption key,
-- over the row's kid, algorithm, state, public JWK, sealed private key and dates
-- (CredenceCore.SigningKeyIntegrity). Only `credence keys` (which holds the key-
-- encryption key) writes it; responders neither publish nor sign with a row whose
-- tag does not verify, so write access to this table is not enough to publish a
-- key of one's own or to revive a retired one.
--
-- Rows written before this migration have no tag (NULL) and are refused like
-- tampered rows until `credence keys upgrade` tags them: it opens each sealed
-- private key with the key-encryption key and tags the row only when that key's
-- public half is the stored public JWK. Run it right after `credence migrate`.
ALTER TABLE signing_keys
    ADD COLUMN integrity_tag bytea CHECK (integrity_tag IS NULL OR length(integrity_tag) = 32);
