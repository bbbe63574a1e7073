-- 0004_dynamic_registration.sql: what dynamic client registration (RFC 7591,
-- RFC 7592, Open Banking UK DCR) records beside a client, and the constraints
-- that make its uniqueness rules hold under concurrency.
--
-- software_statement_issuer (0001) now gets the statement's `iss`;
-- software_statement_jti its `jti`; registration_uniqueness the issuer policy's
-- rule at registration time (NULL: registered without a statement, or by an
-- operator, and unconstrained); signed_registration whether the registration
-- came as a signed request (an update must then come signed too).
ALTER TABLE clients
    ADD COLUMN software_statement_jti text,
    ADD COLUMN registration_uniqueness text
        CONSTRAINT clients_registration_uniqueness_values
        CHECK (registration_uniqueness IN ('per_software_id', 'per_statement', 'many')),
    ADD COLUMN signed_registration boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT clients_uniqueness_has_statement CHECK (
        registration_uniqueness IS NULL
        OR (software_statement_issuer IS NOT NULL AND software_id IS NOT NULL)),
    ADD CONSTRAINT clients_per_statement_has_jti CHECK (
        registration_uniqueness IS DISTINCT FROM 'per_statement' OR software_statement_jti IS NOT NULL);

-- One live client per (issuer, software_id) where the policy says so: of two
-- concurrent registrations the second waits for the first's commit, then fails.
-- A deleted client's row is gone, so the software may register again.
CREATE UNIQUE INDEX clients_one_per_software_id
    ON clients (software_statement_issuer, software_id)
    WHERE registration_uniqueness = 'per_software_id';
-- One client per statement (issuer, jti) where the policy says so.
CREATE UNIQUE INDEX clients_one_per_statement
    ON clients (software_statement_issuer, software_statement_jti)
    WHERE registration_uniqueness = 'per_statement';
