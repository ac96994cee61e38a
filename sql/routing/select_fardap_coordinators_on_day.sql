-- Fardap coordinators on :day; province_id null is the central office.
SELECT c.province_id, c.person_id, p.full_name, p.email, c.valid_from
FROM ref.fardap_coordinator c
JOIN ref.person p ON p.person_id = c.person_id
WHERE c.valid_from <= :day AND (c.valid_to IS NULL OR c.valid_to > :day)
ORDER BY c.province_id, c.valid_from DESC
