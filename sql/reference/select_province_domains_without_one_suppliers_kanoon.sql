-- Each province has exactly one suppliers kanoon per specialised domain: the (province, domain) pairs that
-- have suppliers or suppliers kanoons on :day, but not exactly one such kanoon.
WITH kan AS (
    SELECT province_id, taxon_code, COUNT(*) AS kanoons
    FROM ref.kanoon
    WHERE kind = 'entrepreneurship' AND entrepreneurship_type = 'supplier'
      AND valid_from <= :day AND (valid_to IS NULL OR valid_to > :day)
    GROUP BY province_id, taxon_code
),
need AS (
    SELECT DISTINCT province_id, domain_code AS taxon_code
    FROM ref.unit
    WHERE kind = 'supplier' AND domain_code IS NOT NULL
      AND valid_from <= :day AND (valid_to IS NULL OR valid_to > :day)
),
pairs AS (
    SELECT province_id, taxon_code FROM kan
    UNION
    SELECT province_id, taxon_code FROM need
)
SELECT 'province_domain' AS entity_type, p.province_id || ':' || p.taxon_code AS entity_id, p.province_id,
       p.taxon_code AS domain_code, COALESCE(kan.kanoons, 0) AS suppliers_kanoons
FROM pairs p
LEFT JOIN kan ON kan.province_id = p.province_id AND kan.taxon_code = p.taxon_code
WHERE COALESCE(kan.kanoons, 0) <> 1
ORDER BY p.province_id, p.taxon_code
