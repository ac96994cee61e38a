-- How many rows select_page.sqlite.sql serves for a window over all its pages (the server's `total`).
SELECT COUNT(*)
FROM (
    SELECT CASE WHEN date(substr(t.updated_at, 1, 10), '+0 days') IS substr(t.updated_at, 1, 10)
                 AND (t.updated_at GLOB '????-??-??[T ]??:??*' AND (t.updated_at GLOB '*[Zz]' OR t.updated_at GLOB '*[+-][0-9][0-9]:[0-9][0-9]' OR t.updated_at GLOB '*[+-][0-9][0-9][0-9][0-9]' OR t.updated_at GLOB '*[0-9][+-][0-9][0-9]'))
                THEN COALESCE(strftime('%Y-%m-%dT%H:%M:%f', t.updated_at), '') ELSE '' END AS rasad_page_at
    FROM ombazar.{table} t
) p
WHERE (p.rasad_page_at = '' AND :since IS NULL)
   OR (p.rasad_page_at <> '' AND (:since IS NULL OR p.rasad_page_at >= :since)
       AND (:before IS NULL OR p.rasad_page_at < :before))
