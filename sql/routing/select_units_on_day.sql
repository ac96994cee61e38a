-- Units (cores and suppliers) as the organisation stood on :day.
SELECT u.unit_id, u.kind, u.name_fa, u.province_id, u.region_id, u.in_capital, u.sector_code, u.domain_code,
       u.kanoon_id
FROM ref.unit u
WHERE u.valid_from <= :day AND (u.valid_to IS NULL OR u.valid_to > :day)
