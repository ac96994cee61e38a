-- How many rows select_page.postgresql.sql serves for a window over all its pages (the server's `total`).
SELECT COUNT(*)
FROM ombazar.{table}
WHERE (CAST(:since AS timestamptz) IS NULL OR updated_at >= CAST(:since AS timestamptz))
  AND (CAST(:before AS timestamptz) IS NULL OR updated_at < CAST(:before AS timestamptz))
