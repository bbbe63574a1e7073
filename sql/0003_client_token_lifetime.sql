-- 0003_client_token_lifetime.sql: an operator's per-client access-token lifetime.
--
-- `credence clients create --token-lifetime SECONDS` gives one client tokens that
-- live longer or shorter than tokens.access_token_lifetime_seconds; NULL (every
-- existing client) means the server's lifetime. Not registration metadata: a
-- client cannot set it itself, so it is a column, not a member of `metadata`.
ALTER TABLE clients
    ADD COLUMN access_token_lifetime_seconds integer
        CONSTRAINT clients_access_token_lifetime_range
        CHECK (access_token_lifetime_seconds BETWEEN 1 AND 86400);
