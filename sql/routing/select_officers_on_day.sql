-- The monitoring officer of each province on :day (the latest assignment, should two overlap).
SELECT a.province_id, a.person_id, p.full_name, p.email, a.valid_from
FROM ref.monitoring_officer_assignment a
JOIN ref.person p ON p.person_id = a.person_id
WHERE a.valid_from <= :day AND (a.valid_to IS NULL OR a.valid_to > :day)
ORDER BY a.province_id, a.valid_from DESC
