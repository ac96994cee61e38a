-- Rows of one source table changed in [since, before). `since` may be null: from the beginning.
-- Timestamps are ISO text with any offset; strftime() normalises them to UTC for comparison.
-- A row whose updated_at is not ISO text at all (missing, words, other digits) is always selected, so that
-- validation quarantines it instead of it being lost. Date-like text that no window can hold (an impossible
-- date such as 2026-02-30, an unreadable time, an instant before :earliest) is left to select_implausible,
-- which every run reads whole: it is never in a window, so no row is read twice.
SELECT *
FROM ombazar.{table}
WHERE (
        -- a text prefix range the (updated_at, key) index serves: an offset moves the date by at most a day
        updated_at >= :since_text AND updated_at < :before_text
        AND (:since IS NULL OR strftime('%Y-%m-%dT%H:%M:%f', updated_at) >= :since)
        AND strftime('%Y-%m-%dT%H:%M:%f', updated_at) < :before
        AND strftime('%Y-%m-%dT%H:%M:%f', updated_at) >= :earliest
        -- SQLite reads 2026-02-30 as a date: a real calendar date survives a round trip through date()
        AND date(substr(updated_at, 1, 10), '+0 days') = substr(updated_at, 1, 10)
        -- a time with its zone: zone-less text is select_implausible's (quarantined, never guessed)
        AND (updated_at GLOB '????-??-??[T ]??:??*' AND (updated_at GLOB '*[Zz]' OR updated_at GLOB '*[+-][0-9][0-9]:[0-9][0-9]' OR updated_at GLOB '*[+-][0-9][0-9][0-9][0-9]' OR updated_at GLOB '*[0-9][+-][0-9][0-9]'))
      )
   -- text that is no ISO date at all (missing, words, other digits) sorts outside the digits: always read
   OR updated_at IS NULL OR updated_at < '0' OR updated_at >= ':'
ORDER BY updated_at, {key}
