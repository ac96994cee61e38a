-- The latest staged version of each order in scratch_ids.
SELECT o.order_id, o.offer_id, o.buyer_member_id, o.quantity, o.unit_price_rial, o.payment,
       o.ordered_at, o.promised_at, o.updated_at
FROM monitoring.stg_orders o
JOIN scratch_ids s ON s.id = o.order_id
WHERE o.valid_to IS NULL
