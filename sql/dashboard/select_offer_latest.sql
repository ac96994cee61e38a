-- The offer behind a finding, as last staged.
SELECT o.offer_id, o.seller_id, o.title, o.category_code, o.unit, o.unit_price_rial, o.nesieh_months,
       o.nesieh_unit_price_rial, o.promised_quality, o.promised_lead_days, o.stock_qty, o.status, o.created_at,
       o.updated_at
FROM monitoring.stg_offers o
WHERE o.offer_id = :offer_id
ORDER BY o.updated_at DESC
LIMIT 1
