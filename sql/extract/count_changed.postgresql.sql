-- How many rows the source holds for the window: counted at the source, independently of the fetch.
SELECT COUNT(*)
FROM ombazar.{table}
WHERE (CAST(:since AS timestamptz) IS NULL OR updated_at >= CAST(:since AS timestamptz))
  AND updated_at < CAST(:before AS timestamptz)
  AND updated_at >= CAST(:earliest AS timestamptz)
