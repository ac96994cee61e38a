-- Rows of one source table changed in [since, before). `since` may be null: from the beginning.
SELECT *
FROM ombazar.{table}
WHERE (CAST(:since AS timestamptz) IS NULL OR updated_at >= CAST(:since AS timestamptz))
  AND updated_at < CAST(:before AS timestamptz)
ORDER BY updated_at, {key}
