-- Interlock PostgreSQL backend: upgrades a schema of version 1 to version 2 in place.
--
-- Version 2 replaces the function interlock.allocate, which in version 1 could fail with a NOT NULL
-- violation when IDs were freed while it ran; the tables do not change. PostgresLockManager runs
-- this script itself, in one transaction, when it meets version 1 (unless
-- PostgresLockManager.Options.withSchemaCreation(false)). A DBA runs it once instead, as the owner
-- of the schema, for example:
--
--   psql -v ON_ERROR_STOP=1 --single-transaction -f schema-postgresql-upgrade-1-to-2.sql
--
-- Managers already attached keep working while it runs and afterwards (the function keeps its
-- signature), but an Interlock release that knows only version 1 refuses to attach to version 2:
-- upgrade every application that shares the schema. To upgrade another schema name (Options withSchema), replace every "interlock" that names the
-- schema below. The function is the one of schema-postgresql.sql, which creates version 2 directly.

-- Taken first, so that two upgrades at once run one after the other.
LOCK TABLE interlock.schema_version IN EXCLUSIVE MODE;

DO $$
BEGIN
    IF (SELECT max(version) FROM interlock.schema_version) NOT IN (1, 2) THEN
        RAISE EXCEPTION 'The Interlock schema has version %, but this script upgrades version 1 to 2 only;'
            ' use the scripts of the Interlock release that reads that version',
            (SELECT max(version) FROM interlock.schema_version);
    END IF;
END
$$;

UPDATE interlock.schema_version SET version = 2 WHERE version = 1;

-- Allocates a lock ID of a lock space in one round trip and returns it, serialized per space by
-- the transaction-level advisory lock (space_key, -1):
--   p_name not null: the ID bound to that name, binding the lowest free ID to it if unbound;
--   p_id not null:   that ID, or -1 if it is allocated already;
--   both null:       the lowest free ID.
-- Returns -2 when every ID below p_num_locks is allocated, -3 when the lock space is gone.
-- Frees (DELETE) do not take the advisory lock, and under READ COMMITTED every statement sees a
-- new snapshot: so each decision is one statement. Frees only ever make IDs free, so an ID free in
-- one snapshot is still free when it is inserted (version 1 found the lowest ID in two statements
-- and could insert NULL when the rows vanished in between).
CREATE OR REPLACE FUNCTION interlock.allocate(p_space_key integer, p_num_locks integer, p_id integer, p_name text)
    RETURNS integer
    LANGUAGE plpgsql
AS $$
DECLARE
    v_id integer;
BEGIN
    PERFORM pg_advisory_xact_lock(p_space_key, -1);
    PERFORM 1 FROM interlock.lock_space WHERE space_key = p_space_key;
    IF NOT FOUND THEN
        RETURN -3;
    END IF;
    IF p_name IS NOT NULL THEN
        SELECT lock_id INTO v_id FROM interlock.allocation WHERE space_key = p_space_key AND name = p_name;
        IF FOUND THEN
            RETURN v_id;
        END IF;
    END IF;
    IF p_id IS NOT NULL THEN
        INSERT INTO interlock.allocation (space_key, lock_id) VALUES (p_space_key, p_id)
            ON CONFLICT DO NOTHING;
        RETURN CASE WHEN FOUND THEN p_id ELSE -1 END;
    END IF;
    -- One snapshot: if ID 0 is allocated in it, the highest allocated ID has a free successor.
    SELECT CASE
               WHEN NOT EXISTS (SELECT 1 FROM interlock.allocation
                                 WHERE space_key = p_space_key AND lock_id = 0) THEN 0
               ELSE (SELECT a.lock_id + 1
                       FROM interlock.allocation a
                      WHERE a.space_key = p_space_key
                        AND NOT EXISTS (SELECT 1 FROM interlock.allocation b
                                         WHERE b.space_key = p_space_key AND b.lock_id = a.lock_id + 1)
                      ORDER BY a.lock_id
                      LIMIT 1)
           END
      INTO v_id;
    IF v_id >= p_num_locks THEN
        RETURN -2;
    END IF;
    INSERT INTO interlock.allocation (space_key, lock_id, name) VALUES (p_space_key, v_id, p_name);
    RETURN v_id;
END
$$;
