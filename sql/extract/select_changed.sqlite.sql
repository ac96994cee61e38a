-- Rows of one source table changed in [since, before). `since` may be null: from the beginning.
-- Timestamps are ISO text with any offset; strftime() normalises them to UTC for comparison.
-- A row whose updated_at cannot be read at all is always selected, so that validation
-- quarantines it instead of it being lost.
SELECT *
FROM ombazar.{table}
WHERE (
        (:since IS NULL OR strftime('%Y-%m-%dT%H:%M:%f', updated_at) >= :since)
        AND strftime('%Y-%m-%dT%H:%M:%f', updated_at) < :before
      )
   OR strftime('%Y-%m-%dT%H:%M:%f', updated_at) IS NULL
ORDER BY updated_at, {key}
