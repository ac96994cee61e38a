-- The affairs of each province's secretariat on :day.
SELECT a.affair_id, s.province_id, a.kind, a.name_fa, a.email
FROM ref.affair a
JOIN ref.secretariat s ON s.secretariat_id = a.secretariat_id
WHERE a.valid_from <= :day AND (a.valid_to IS NULL OR a.valid_to > :day)
  AND s.valid_from <= :day AND (s.valid_to IS NULL OR s.valid_to > :day)
ORDER BY a.affair_id
