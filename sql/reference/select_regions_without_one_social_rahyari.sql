-- Every region (county or capital zone) has one social rahyari on :day.
SELECT 'region' AS entity_type, r.region_id AS entity_id, r.province_id, r.kind AS region_kind,
       COUNT(t.team_id) AS social_rahyaris
FROM ref.region r
LEFT JOIN ref.rahyari_team t
       ON t.region_id = r.region_id AND t.kind = 'social'
      AND t.valid_from <= :day AND (t.valid_to IS NULL OR t.valid_to > :day)
GROUP BY r.region_id, r.province_id, r.kind
HAVING COUNT(t.team_id) <> 1
ORDER BY r.region_id
