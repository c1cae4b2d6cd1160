-- Benchmark data set generator (tests/bench). Loaded into a database by tests/bench/generate,
-- which then calls, for disjoint ranges of parents:
--
--   CALL pg_temp.bench_generate(first, last, unit, back, ahead, rows, keep_default);
--
-- Each parent bench.t<i> (i in first..last) is RANGE-partitioned on `at` (timestamptz) with one
-- index, and gets partitions from `back` units before the current one to `ahead` units after it,
-- named as pg_partman 4.7 names them (t1_p2026_11, t1_p2026_11_25), so that pg_partman adopts
-- them as its own and partitiond adopts them from their catalog bounds. Every partition up to the
-- current one holds `rows` rows; future ones are empty. Then the parent is registered with
-- pg_partman (create_parent, native, same premake), whose retention is configured by the caller.
-- pg_partman adds a DEFAULT partition only when create_parent makes children itself (here they all
-- exist already); should it add one, it is dropped again unless keep_default, so that both tools
-- work on exactly the partitions generated here.
--
-- Boundaries are computed in UTC (the caller sets the session time zone) from the server clock:
-- pg_partman has no notion of a fake "now", so the set is laid out around the real date.
-- One COMMIT per parent keeps the lock table small however many parents there are.

CREATE PROCEDURE pg_temp.bench_generate(first_parent int, last_parent int, unit text, back int,
                                        ahead int, nrows int, keep_default boolean)
LANGUAGE plpgsql AS $$
DECLARE
  step interval := CASE unit WHEN 'month' THEN interval '1 month' ELSE interval '1 day' END;
  suffix_format text := CASE unit WHEN 'month' THEN 'YYYY_MM' ELSE 'YYYY_MM_DD' END;
  current_start timestamptz := date_trunc(unit, now());
  parent text;
  lo timestamptz;
  hi timestamptz;
BEGIN
  FOR i IN first_parent..last_parent LOOP
    parent := 't' || i;
    EXECUTE format('CREATE TABLE bench.%I (at timestamptz NOT NULL, id bigint, v int) '
                   'PARTITION BY RANGE (at)', parent);
    EXECUTE format('CREATE INDEX ON bench.%I (at)', parent);
    FOR k IN -back..ahead LOOP
      lo := current_start + k * step;
      hi := lo + step;
      EXECUTE format('CREATE TABLE bench.%I PARTITION OF bench.%I FOR VALUES FROM (%L) TO (%L)',
                     parent || '_p' || to_char(lo, suffix_format), parent, lo, hi);
    END LOOP;
    IF nrows > 0 THEN
      -- `rows` rows in each partition from the oldest to the current one, spread over its range
      -- (the current one only up to now).
      EXECUTE format(
        'INSERT INTO bench.%I (at, id, v) '
        'SELECT p + (least(p + $3, now()) - p) * (r::float8 / ($2 + 1)), r, r '
        'FROM generate_series($1, $1 + $4 * $3, $3) AS p, generate_series(1, $2) AS r',
        parent)
      USING current_start - back * step, nrows, step, back;
    END IF;
    PERFORM partman.create_parent(p_parent_table := 'bench.' || parent, p_control := 'at',
                                  p_type := 'native', p_interval := '1 ' || unit,
                                  p_premake := ahead,
                                  p_start_partition := (current_start - back * step)::text,
                                  p_jobmon := false);
    IF NOT keep_default THEN
      EXECUTE format('DROP TABLE IF EXISTS bench.%I', parent || '_default');
    END IF;
    COMMIT;
  END LOOP;
END
$$;
