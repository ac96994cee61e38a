-- A core (work-and-life or work-and-business) has at most :max_core_headcount people and a steward.
SELECT 'unit' AS entity_type, u.unit_id AS entity_id, u.province_id, u.kind, u.headcount, u.steward_person_id
FROM ref.unit u
WHERE u.kind IN ('work_and_life_core', 'work_and_business_core')
  AND u.valid_from <= :day AND (u.valid_to IS NULL OR u.valid_to > :day)
  AND (u.headcount IS NULL OR u.headcount > :max_core_headcount OR u.headcount < 1 OR u.steward_person_id IS NULL)
ORDER BY u.unit_id
