-- 0001_initial.sql: Credence's first schema.
--
-- Migrations are applied by `credence migrate` (CredencePostgres.MigrationRunner)
-- inside one transaction under an advisory lock, and recorded with the SHA-256
-- of their file in credence_schema_migrations. Rules for every file in sql/:
--   * never edit a file once it has been applied anywhere: add a new one;
--   * no BEGIN/COMMIT and nothing that cannot run in a transaction
--     (e.g. CREATE INDEX CONCURRENTLY);
--   * unqualified names, so the operator's search_path picks the schema;
--   * after editing sql/, run scripts/embed-migrations.sh (a test fails otherwise).
-- All timestamps are timestamptz and written in UTC by the application.

-- The migrations applied to this database: which, when, and the checksum of the
-- file as it was applied, so a file changed afterwards is refused.
CREATE TABLE credence_schema_migrations (
    version    integer PRIMARY KEY CHECK (version > 0),
    name       text NOT NULL,
    checksum   text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
    applied_at timestamptz NOT NULL DEFAULT now()
);

-- The server's signing keys (JWS keys for access tokens). Every responder on
-- every host signs with the one `active` key and publishes the same JWKS:
-- `next` keys are published before use so caches pick them up, `retired` keys
-- stay published until publish_until (when every token they signed has expired).
-- The private key is stored sealed (AES-256-GCM under the key-encryption key,
-- kid as associated data); the database never sees it in the clear.
CREATE TABLE signing_keys (
    kid                text PRIMARY KEY CHECK (length(kid) BETWEEN 1 AND 256),
    algorithm          text NOT NULL CHECK (length(algorithm) BETWEEN 1 AND 32),
    state              text NOT NULL CHECK (state IN ('next', 'active', 'retired')),
    public_jwk         jsonb NOT NULL CHECK (jsonb_typeof(public_jwk) = 'object'),
    sealed_private_key bytea NOT NULL CHECK (length(sealed_private_key) > 0),
    created_at         timestamptz NOT NULL,
    activated_at       timestamptz,
    retired_at         timestamptz,
    publish_until      timestamptz,
    CONSTRAINT signing_keys_active_was_activated
        CHECK (state <> 'active' OR activated_at IS NOT NULL),
    CONSTRAINT signing_keys_retired_has_dates
        CHECK (state <> 'retired' OR (retired_at IS NOT NULL AND publish_until IS NOT NULL))
);

-- At most ONE active key, whatever the application does: a unique index over
-- the rows in state 'active' alone.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (state) WHERE state = 'active';

-- Registered OAuth clients (RFC 7591 registration, RFC 7592 management, or
-- created by an operator). The columns the server looks clients up by or
-- authenticates with are columns of their own; `metadata` holds every
-- registered metadata value as the client sees it in the registration response.
-- Secrets and tokens are stored only as hashes.
CREATE TABLE clients (
    client_id                      text PRIMARY KEY CHECK (length(client_id) BETWEEN 1 AND 256),
    -- Hash of the client secret (client_secret_basic/_post), never the secret.
    client_secret_hash             text,
    token_endpoint_auth_method     text NOT NULL CHECK (token_endpoint_auth_method IN (
        'client_secret_basic', 'client_secret_post', 'private_key_jwt',
        'tls_client_auth', 'self_signed_tls_client_auth')),
    -- From the software statement (RFC 7591 §2.3), when the client registered with one.
    software_id                    text,
    software_statement_issuer      text,
    software_statement_org_id      text,
    -- RFC 8705 §2.1.2: the subject DN the client's certificate must carry.
    tls_client_auth_subject_dn     text,
    -- RFC 7592: hash of the registration access token, never the token.
    registration_access_token_hash text,
    metadata                       jsonb NOT NULL CHECK (jsonb_typeof(metadata) = 'object'),
    created_at                     timestamptz NOT NULL,
    updated_at                     timestamptz NOT NULL,
    CONSTRAINT clients_secret_methods_have_secret CHECK (
        token_endpoint_auth_method NOT IN ('client_secret_basic', 'client_secret_post')
        OR client_secret_hash IS NOT NULL)
);

-- Clients registered for one piece of software (one software statement may be
-- registered more than once, so not unique).
CREATE INDEX clients_software_id ON clients (software_id) WHERE software_id IS NOT NULL;
-- RFC 7592 §2: a registration access token identifies exactly one client.
CREATE UNIQUE INDEX clients_registration_access_token_hash
    ON clients (registration_access_token_hash) WHERE registration_access_token_hash IS NOT NULL;

-- Replay protection: every jti accepted from a client assertion (RFC 7523 §3,
-- private_key_jwt) or a signed registration request, kept until the token it
-- came from expires. The primary key refuses a second use; `issuer` scopes
-- the jti to the party that minted it (the client_id, or the software id).
CREATE TABLE used_jtis (
    issuer     text NOT NULL,
    jti        text NOT NULL CHECK (length(jti) BETWEEN 1 AND 512),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (issuer, jti)
);
-- For purging expired entries.
CREATE INDEX used_jtis_expires_at ON used_jtis (expires_at);

-- The deny list of revoked access tokens (RFC 7009) by jti; an entry can go
-- once the token has expired anyway.
CREATE TABLE revoked_tokens (
    jti        text PRIMARY KEY CHECK (length(jti) BETWEEN 1 AND 512),
    client_id  text NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz NOT NULL
);
-- For purging expired entries.
CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at);

-- What happened, for operators and auditors: registrations, updates, deletions,
-- key rotations, refused authentications. `details` never holds a secret.
CREATE TABLE audit_events (
    id          bigserial PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    event_type  text NOT NULL CHECK (length(event_type) BETWEEN 1 AND 100),
    client_id   text,
    details     jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(details) = 'object')
);
-- One client's history, in order.
CREATE INDEX audit_events_client_id_occurred_at ON audit_events (client_id, occurred_at);
-- For purging old events.
CREATE INDEX audit_events_occurred_at ON audit_events (occurred_at);
