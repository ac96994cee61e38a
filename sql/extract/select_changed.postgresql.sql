-- Rows of one source table changed in [since, before). `since` may be null: from the beginning.
-- An instant before :earliest is no change of the marketplace's: select_implausible reads it, every run.
SELECT *
FROM ombazar.{table}
WHERE (CAST(:since AS timestamptz) IS NULL OR updated_at >= CAST(:since AS timestamptz))
  AND updated_at < CAST(:before AS timestamptz)
  AND updated_at >= CAST(:earliest AS timestamptz)
ORDER BY updated_at, {key}
