-- One page of rows changed in [since, before), in contract order (updated_at, id), after a cursor.
-- The reference HTTP server pages with this. `rasad_page_at` / `rasad_page_id` are the sort keys
-- (the key as text in byte order, '' where missing); the cursor is the last row's pair. `before` may be null: no upper bound.
SELECT *
FROM (
    SELECT t.*,
           t.updated_at AS rasad_page_at,
           COALESCE(CAST(t.{key} AS text), '') COLLATE "C" AS rasad_page_id
    FROM ombazar.{table} t
) p
WHERE (CAST(:since AS timestamptz) IS NULL OR p.rasad_page_at >= CAST(:since AS timestamptz))
  AND (CAST(:before AS timestamptz) IS NULL OR p.rasad_page_at < CAST(:before AS timestamptz))
  AND (CAST(:after_at AS timestamptz) IS NULL
       OR p.rasad_page_at > CAST(:after_at AS timestamptz)
       OR (p.rasad_page_at = CAST(:after_at AS timestamptz) AND p.rasad_page_id > CAST(:after_id AS text)))
  AND (CAST(:group_at AS timestamptz) IS NULL
       OR (p.rasad_page_at = CAST(:group_at AS timestamptz) AND p.rasad_page_id = CAST(:group_id AS text)))
ORDER BY p.rasad_page_at, p.rasad_page_id
LIMIT :limit
