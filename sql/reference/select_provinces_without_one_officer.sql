-- Exactly one monitoring officer per province on :day, assigned in coordination with Fardap.
SELECT 'province' AS entity_type, p.province_id AS entity_id, p.province_id,
       COUNT(a.assignment_id) AS officers,
       SUM(CASE WHEN a.assignment_id IS NOT NULL AND (a.fardap_coordinated IS NULL OR NOT a.fardap_coordinated)
                THEN 1 ELSE 0 END) AS without_fardap
FROM ref.province p
LEFT JOIN ref.monitoring_officer_assignment a
       ON a.province_id = p.province_id
      AND a.valid_from <= :day AND (a.valid_to IS NULL OR a.valid_to > :day)
GROUP BY p.province_id
HAVING COUNT(a.assignment_id) <> 1
    OR SUM(CASE WHEN a.assignment_id IS NOT NULL AND (a.fardap_coordinated IS NULL OR NOT a.fardap_coordinated)
                THEN 1 ELSE 0 END) > 0
ORDER BY p.province_id
