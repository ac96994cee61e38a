-- How many rows select_implausible.sqlite.sql reads: counted at the source, independently of the fetch.
SELECT COUNT(*)
FROM ombazar.{table}
WHERE updated_at >= '0' AND updated_at < ':'
  AND (
        strftime('%Y-%m-%dT%H:%M:%f', updated_at) IS NULL
     OR date(substr(updated_at, 1, 10), '+0 days') IS NOT substr(updated_at, 1, 10)
     OR strftime('%Y-%m-%dT%H:%M:%f', updated_at) < :earliest
     OR strftime('%Y-%m-%dT%H:%M:%f', updated_at) >= :latest
     OR NOT (updated_at GLOB '????-??-??[T ]??:??*' AND (updated_at GLOB '*[Zz]' OR updated_at GLOB '*[+-][0-9][0-9]:[0-9][0-9]' OR updated_at GLOB '*[+-][0-9][0-9][0-9][0-9]' OR updated_at GLOB '*[0-9][+-][0-9][0-9]'))
      )
