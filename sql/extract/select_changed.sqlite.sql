-- Rows of one source table changed in [since, before). `since` may be null: from the beginning.
-- Timestamps are ISO text with any offset; strftime() normalises them to UTC for comparison.
-- A row whose updated_at cannot be read at all is always selected, so that validation
-- quarantines it instead of it being lost (text with a date-like prefix but no valid date is read with the
-- window its prefix falls in).
SELECT *
FROM ombazar.{table}
WHERE (
        -- a text prefix range the (updated_at, key) index serves: an offset moves the date by at most a day
        updated_at >= :since_text AND updated_at < :before_text
        AND (
              ((:since IS NULL OR strftime('%Y-%m-%dT%H:%M:%f', updated_at) >= :since)
               AND strftime('%Y-%m-%dT%H:%M:%f', updated_at) < :before)
              OR strftime('%Y-%m-%dT%H:%M:%f', updated_at) IS NULL
            )
      )
   -- text that is no ISO date at all (missing, words, other digits) sorts outside the digits: always read
   OR updated_at IS NULL OR updated_at < '0' OR updated_at >= ':'
ORDER BY updated_at, {key}
