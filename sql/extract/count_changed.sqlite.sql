-- How many rows the source holds for the window: counted at the source, independently of the fetch.
SELECT COUNT(*)
FROM ombazar.{table}
WHERE (
        (:since IS NULL OR strftime('%Y-%m-%dT%H:%M:%f', updated_at) >= :since)
        AND strftime('%Y-%m-%dT%H:%M:%f', updated_at) < :before
      )
   OR strftime('%Y-%m-%dT%H:%M:%f', updated_at) IS NULL
