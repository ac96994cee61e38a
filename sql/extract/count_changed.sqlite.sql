-- How many rows the source holds for the window: counted at the source, independently of the fetch.
SELECT COUNT(*)
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
