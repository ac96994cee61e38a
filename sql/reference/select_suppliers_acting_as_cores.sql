-- A supplier is never a core: a supplier in a core's kanoon (work-and-life, work-and-business or a
-- non-entrepreneurship kanoon), a core in a suppliers kanoon, or one unit that is both on :day.
WITH active AS (
    SELECT u.unit_id, u.kind, u.province_id, u.kanoon_id
    FROM ref.unit u
    WHERE u.valid_from <= :day AND (u.valid_to IS NULL OR u.valid_to > :day)
)
SELECT 'unit' AS entity_type, a.unit_id AS entity_id, a.province_id, a.kind, a.kanoon_id,
       k.kind AS kanoon_kind, k.entrepreneurship_type AS kanoon_type
FROM active a
JOIN ref.kanoon k ON k.kanoon_id = a.kanoon_id
WHERE (a.kind = 'supplier' AND (k.kind <> 'entrepreneurship' OR k.entrepreneurship_type <> 'supplier'))
   OR (a.kind <> 'supplier' AND k.entrepreneurship_type = 'supplier')
UNION
SELECT 'unit' AS entity_type, a.unit_id AS entity_id, a.province_id, 'supplier_and_core' AS kind,
       NULL AS kanoon_id, NULL AS kanoon_kind, NULL AS kanoon_type
FROM active a
GROUP BY a.unit_id, a.province_id
HAVING COUNT(DISTINCT CASE WHEN a.kind = 'supplier' THEN 's' ELSE 'c' END) > 1
ORDER BY 2
