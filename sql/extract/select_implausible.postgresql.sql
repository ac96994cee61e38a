-- Rows whose updated_at no window holds: before :earliest (1969), or at or after :latest (2099, 9999, the
-- extraction time plus its tolerance). Every run reads them whole, so that validation quarantines them.
SELECT *
FROM ombazar.{table}
WHERE updated_at < CAST(:earliest AS timestamptz) OR updated_at >= CAST(:latest AS timestamptz)
ORDER BY updated_at, {key}
