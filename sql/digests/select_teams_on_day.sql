-- Rahyari teams as the organisation stood on :day.
SELECT t.team_id, t.kind, t.province_id, t.region_id, t.sector_code, t.name_fa, t.email
FROM ref.rahyari_team t
WHERE t.valid_from <= :day AND (t.valid_to IS NULL OR t.valid_to > :day)
