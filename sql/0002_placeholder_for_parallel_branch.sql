-- 0002_placeholder_for_parallel_branch.sql: PLACEHOLDER, delete when merging.
--
-- Version 2 belongs to a migration written on another branch at the same time
-- as 0003_client_token_lifetime.sql. MigrationSet refuses a gap in the
-- numbering (a missing file must never go unnoticed), so this branch carries
-- this no-op in its place until the real 0002 is merged; the merge then has
-- two version-2 files, which every migration test refuses until this one is
-- removed (and scripts/embed-migrations.sh rerun).
SELECT 1;
