-- Interlock PostgreSQL backend, schema version 2.
--
-- PostgresLockManager runs this script itself, in one transaction, the first time it meets a
-- database without the schema (unless PostgresLockManager.Options.withSchemaCreation(false)).
-- A DBA who forbids DDL at run time runs it once instead, for example:
--
--   psql -v ON_ERROR_STOP=1 --single-transaction -f schema-postgresql.sql
--
-- and grants the application's role USAGE on the schema, SELECT/INSERT/DELETE on its tables,
-- USAGE/UPDATE on its sequences and EXECUTE on its function. To use another schema name (Options
-- withSchema), replace every "interlock" that names the schema below; Interlock does the same.
-- Creating and dropping a lock space needs no DDL: both are rows in interlock.lock_space.
-- A schema of version 1 is upgraded in place by schema-postgresql-upgrade-1-to-2.sql (next to this
-- script), which PostgresLockManager also runs itself unless schema creation is switched off.
--
-- Advisory lock keys: lock ID n of a lock space is the session-level advisory lock
-- pg_advisory_lock(space_key, n) in the two-int4 form (pg_locks: classid = space_key,
-- objid = n, objsubid = 2); key n = -1 of a space serializes its allocations (transaction-level);
-- key -2 - n is lock n's queue key, which waiter sessions take while they wait for lock n (so that
-- a release wakes one waiter). Lock IDs are below num_locks <= 2^31 - 1, so no key meets another.
-- Applications that use the one-bigint form (objsubid = 1) can never collide with these.

CREATE SCHEMA interlock;

-- One row: the version of this schema. Interlock refuses to run against another version.
CREATE TABLE interlock.schema_version (
    version    integer     NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO interlock.schema_version (version) VALUES (2);

-- The first advisory key of each lock space. Keys are unique within this schema; keep one
-- Interlock schema per database, or give a second schema a disjoint range
-- (ALTER SEQUENCE <schema>.space_key RESTART WITH 1000000).
CREATE SEQUENCE interlock.space_key AS integer MINVALUE 1 START WITH 1;

-- Fencing tokens of every lock space. Drawn by nextval in the acquiring round trip, only once
-- the advisory lock was granted; never rolled back.
CREATE SEQUENCE interlock.fence AS bigint MINVALUE 1 START WITH 1;

-- Lock spaces: the analogue of a shared-memory segment. layout_version is the version of the
-- per-space protocol (key layout, token source); PostgresLockManager refuses another one.
CREATE TABLE interlock.lock_space (
    name           text        PRIMARY KEY,
    space_key      integer     NOT NULL UNIQUE DEFAULT nextval('interlock.space_key'),
    num_locks      integer     NOT NULL CHECK (num_locks > 0),
    layout_version integer     NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- Allocated lock IDs, and the name bound to each one by namedLock.
CREATE TABLE interlock.allocation (
    space_key    integer     NOT NULL REFERENCES interlock.lock_space (space_key) ON DELETE CASCADE,
    lock_id      integer     NOT NULL CHECK (lock_id >= 0),
    name         text,
    allocated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (space_key, lock_id),
    UNIQUE (space_key, name)
);

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
