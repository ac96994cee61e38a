-- How many rows the source holds for the window: counted at the source, independently of the fetch.
-- The same predicate as select_changed.sqlite.sql.
SELECT COUNT(*)
FROM ombazar.{table}
WHERE (
        updated_at >= :since_text AND updated_at < :before_text
        AND (:since IS NULL OR strftime('%Y-%m-%dT%H:%M:%f', updated_at) >= :since)
        AND strftime('%Y-%m-%dT%H:%M:%f', updated_at) < :before
        AND strftime('%Y-%m-%dT%H:%M:%f', updated_at) >= :earliest
        AND date(substr(updated_at, 1, 10), '+0 days') = substr(updated_at, 1, 10)
        -- a time with its zone: zone-less text is select_implausible's (quarantined, never guessed)
        AND (updated_at GLOB '????-??-??[T ]??:??*' AND (updated_at GLOB '*[Zz]' OR updated_at GLOB '*[+-][0-9][0-9]:[0-9][0-9]' OR updated_at GLOB '*[+-][0-9][0-9][0-9][0-9]' OR updated_at GLOB '*[0-9][+-][0-9][0-9]'))
      )
   OR updated_at IS NULL OR updated_at < '0' OR updated_at >= ':'
