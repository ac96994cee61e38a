-- One page of rows changed in [since, before), in contract order (updated_at, id), after a cursor.
-- The reference HTTP server pages with this. `rasad_page_at` / `rasad_page_id` are the sort keys
-- (normalised UTC text, key as text; '' where missing, so that such rows come first and are never
-- lost); the cursor is the last row's pair. `before` may be null: no upper bound. A row whose updated_at
-- is no instant at all (missing, unreadable, an impossible date such as 2026-02-30) is served to a window
-- without `since` (an initial load, or a client sweeping what is older than any plausible window), so that
-- validation quarantines it.
SELECT *
FROM (
    SELECT t.*,
           CASE WHEN date(substr(t.updated_at, 1, 10), '+0 days') IS substr(t.updated_at, 1, 10)
                 AND (t.updated_at GLOB '????-??-??[T ]??:??*' AND (t.updated_at GLOB '*[Zz]' OR t.updated_at GLOB '*[+-][0-9][0-9]:[0-9][0-9]' OR t.updated_at GLOB '*[+-][0-9][0-9][0-9][0-9]' OR t.updated_at GLOB '*[0-9][+-][0-9][0-9]'))
                THEN COALESCE(strftime('%Y-%m-%dT%H:%M:%f', t.updated_at), '') ELSE '' END AS rasad_page_at,
           COALESCE(CAST(t.{key} AS TEXT), '') AS rasad_page_id
    FROM ombazar.{table} t
) p
WHERE ((p.rasad_page_at = '' AND :since IS NULL)
       OR (p.rasad_page_at <> '' AND (:since IS NULL OR p.rasad_page_at >= :since)
           AND (:before IS NULL OR p.rasad_page_at < :before)))
  AND (:after_at IS NULL
       OR p.rasad_page_at > :after_at
       OR (p.rasad_page_at = :after_at AND p.rasad_page_id > :after_id))
  AND (:group_at IS NULL OR (p.rasad_page_at = :group_at AND p.rasad_page_id = :group_id))
ORDER BY p.rasad_page_at, p.rasad_page_id
LIMIT :limit
