-- How many rows select_implausible.postgresql.sql reads: counted at the source, independently of the fetch.
SELECT COUNT(*)
FROM ombazar.{table}
WHERE updated_at < CAST(:earliest AS timestamptz) OR updated_at >= CAST(:latest AS timestamptz)
