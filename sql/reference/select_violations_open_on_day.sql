-- The breaks of the organisation's own rules (`rasad ref check`, monitoring.reference_violation) open on :day:
-- begun by then and not resolved by then, with the province's name and, where the entity has one, its name
-- (units, regions, rahyari teams, provinces; members keep only their id, and are never listed by name).
SELECT v.violation_id, v.rule, v.severity, v.entity_type, v.entity_id, v.province_id,
       p.name_fa AS province_name_fa,
       CASE v.entity_type
            WHEN 'unit' THEN (SELECT MAX(u.name_fa) FROM ref.unit u
                              WHERE u.unit_id = v.entity_id AND u.valid_from <= :day
                                AND (u.valid_to IS NULL OR u.valid_to > :day))
            WHEN 'region' THEN (SELECT MAX(r.name_fa) FROM ref.region r WHERE r.region_id = v.entity_id)
            WHEN 'rahyari_team' THEN (SELECT MAX(tm.name_fa) FROM ref.rahyari_team tm WHERE tm.team_id = v.entity_id)
            WHEN 'province' THEN p.name_fa
       END AS entity_name_fa,
       v.episode_start_day, v.last_observed_day
FROM monitoring.reference_violation v
LEFT JOIN ref.province p ON p.province_id = v.province_id
WHERE v.episode_start_day <= :day AND (v.resolved_day IS NULL OR v.resolved_day > :day)
ORDER BY CASE WHEN v.severity = 'critical' THEN 0 ELSE 1 END, v.rule, v.episode_start_day, v.province_id,
         v.entity_id
