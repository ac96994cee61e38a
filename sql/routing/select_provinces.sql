-- All provinces, for reports that must cover every one.
SELECT p.province_id, p.name_fa, p.capital_name_fa FROM ref.province p ORDER BY p.province_id
