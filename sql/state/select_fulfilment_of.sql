-- The stored fulfilment of the orders in scratch_ids.
SELECT f.* FROM monitoring.order_fulfilment f JOIN scratch_ids s ON s.id = f.order_id
