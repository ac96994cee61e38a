-- The order a delivery belongs to.
SELECT DISTINCT d.order_id FROM monitoring.stg_deliveries d WHERE d.delivery_id = :delivery_id
