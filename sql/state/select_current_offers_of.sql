-- The latest staged version of each offer in scratch_ids: who sells it and what quality it promises.
SELECT f.offer_id, f.seller_id, f.promised_quality, f.category_code, f.unit
FROM monitoring.stg_offers f
JOIN scratch_ids s ON s.id = f.offer_id
WHERE f.valid_to IS NULL
