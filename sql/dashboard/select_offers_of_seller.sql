-- A seller's offers as last staged (the evidence of a seller's scorecard finding).
SELECT o.offer_id, o.seller_id, o.title, o.category_code, o.unit, o.unit_price_rial, o.nesieh_months,
       o.nesieh_unit_price_rial, o.promised_quality, o.promised_lead_days, o.stock_qty, o.status, o.created_at,
       o.updated_at
FROM (
    SELECT x.*, ROW_NUMBER() OVER (PARTITION BY x.offer_id ORDER BY x.updated_at DESC) AS version_rank
    FROM monitoring.stg_offers x
    WHERE x.seller_id = :seller_id
) o
WHERE o.version_rank = 1
ORDER BY o.offer_id
