-- Raw dependency rows aggregated to migrator's native dependencies: one row per flow.
--
-- Written in the subset of SQL that DuckDB and Spark SQL share, so the same statement runs where the telemetry
-- lives (see README, "Raw dependency telemetry"). It reads four views, which the caller defines:
--   dependency_rows(slot TIMESTAMP, source, source_ip, source_process, target, target_ip, target_process,
--                   protocol STRING, port INT, weight DOUBLE, line BIGINT)
--       one row per export row, text as the file has it (NULL or padded: trimmed here), slot NULL when the
--       export has no time, weight NULL when it has no count (the row then counts 1), line the row in its
--       file (or NULL);
--   time_window(window_start TIMESTAMP, window_end TIMESTAMP)
--       one row; rows with window_start <= slot < window_end are kept, a NULL bound is open;
--   excluded_ports(port INT) and excluded_processes(process STRING, lower case)
--       noise to leave out: destination ports, and processes at either end.
WITH raw_flows AS (
    -- Rows grouped as the files write them (the costly part: millions of rows, no function per cell).
    SELECT
        r.source,
        r.target,
        r.port,
        r.protocol,
        r.source_ip,
        r.target_ip,
        r.source_process,
        r.target_process,
        SUM(COALESCE(r.weight, CAST(1 AS DOUBLE))) AS weight,
        COUNT(*) AS row_count,
        MIN(r.line) AS first_row
    FROM dependency_rows AS r
    CROSS JOIN time_window AS w
    WHERE (w.window_start IS NULL OR r.slot >= w.window_start)
        AND (w.window_end IS NULL OR r.slot < w.window_end)
    GROUP BY r.source, r.target, r.port, r.protocol, r.source_ip, r.target_ip, r.source_process,
        r.target_process
),
cleaned AS (
    -- Text trimmed, missing text empty, protocol in lower case: on the groups, a few per million rows.
    SELECT
        TRIM(COALESCE(source, '')) AS source,
        TRIM(COALESCE(target, '')) AS target,
        port,
        LOWER(TRIM(COALESCE(protocol, ''))) AS protocol,
        TRIM(COALESCE(source_ip, '')) AS source_ip,
        TRIM(COALESCE(target_ip, '')) AS target_ip,
        TRIM(COALESCE(source_process, '')) AS source_process,
        TRIM(COALESCE(target_process, '')) AS target_process,
        weight,
        row_count,
        first_row
    FROM raw_flows
),
flows AS (
    SELECT
        c.source,
        c.target,
        c.port,
        c.protocol,
        SUM(c.weight) AS weight,
        c.source_ip,
        c.target_ip,
        c.source_process,
        c.target_process,
        SUM(c.row_count) AS row_count,
        MIN(c.first_row) AS first_row
    FROM cleaned AS c
    GROUP BY c.source, c.target, c.port, c.protocol, c.source_ip, c.target_ip, c.source_process,
        c.target_process
)
-- Ports and processes are part of a flow's key: leaving them out after grouping (a few flows) gives what
-- leaving them out row by row (millions of rows) would, for less.
SELECT f.*
FROM flows AS f
WHERE NOT EXISTS (SELECT 1 FROM excluded_ports AS e WHERE e.port = f.port)
    AND NOT EXISTS (SELECT 1 FROM excluded_processes AS e WHERE e.process = LOWER(f.source_process))
    AND NOT EXISTS (SELECT 1 FROM excluded_processes AS e WHERE e.process = LOWER(f.target_process))
ORDER BY f.source, f.target, f.port NULLS LAST, f.protocol, f.source_ip, f.target_ip, f.source_process,
    f.target_process
