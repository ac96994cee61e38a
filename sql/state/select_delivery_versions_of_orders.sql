-- Every staged version of the deliveries of the orders in scratch_ids (through the order_id index).
SELECT d.delivery_id, d.order_id, d.status, d.shipped_at, d.delivered_at, d.delivered_qty,
       d.received_quality, d.buyer_rating, d.complaint, d.returned_qty, d.updated_at, d.valid_to
FROM monitoring.stg_deliveries d
JOIN scratch_ids s ON s.id = d.order_id
