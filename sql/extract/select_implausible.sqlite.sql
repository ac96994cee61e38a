-- Rows whose updated_at is date-like text that no window holds: an impossible date (2026-02-30, 2026-13-01),
-- an unreadable time, text without a zone, an instant before :earliest (1969) or at or after :latest (2099, 9999, the extraction
-- time plus its tolerance). Every run reads them whole, so that validation quarantines them with a reason
-- rather than a window never selecting them. Disjoint from select_changed: :latest is never before its :before.
SELECT *
FROM ombazar.{table}
WHERE updated_at >= '0' AND updated_at < ':'
  AND (
        strftime('%Y-%m-%dT%H:%M:%f', updated_at) IS NULL
     OR date(substr(updated_at, 1, 10), '+0 days') IS NOT substr(updated_at, 1, 10)
     OR strftime('%Y-%m-%dT%H:%M:%f', updated_at) < :earliest
     OR strftime('%Y-%m-%dT%H:%M:%f', updated_at) >= :latest
     OR NOT (updated_at GLOB '????-??-??[T ]??:??*' AND (updated_at GLOB '*[Zz]' OR updated_at GLOB '*[+-][0-9][0-9]:[0-9][0-9]' OR updated_at GLOB '*[+-][0-9][0-9][0-9][0-9]' OR updated_at GLOB '*[0-9][+-][0-9][0-9]'))
      )
ORDER BY updated_at, {key}
