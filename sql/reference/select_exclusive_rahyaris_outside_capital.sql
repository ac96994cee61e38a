-- Exclusive rahyaris exist only in the provincial capital: their region must be a zone of their own
-- province's capital.
SELECT 'rahyari_team' AS entity_type, t.team_id AS entity_id, t.province_id, t.region_id,
       r.kind AS region_kind, r.province_id AS region_province_id
FROM ref.rahyari_team t
LEFT JOIN ref.region r ON r.region_id = t.region_id
WHERE t.kind = 'exclusive'
  AND t.valid_from <= :day AND (t.valid_to IS NULL OR t.valid_to > :day)
  AND t.region_id IS NOT NULL
  AND (r.kind <> 'capital_zone' OR r.province_id <> t.province_id)
ORDER BY t.team_id
