-- Each seller of the marketplace as last staged: its shop name and the unit (core or supplier) it belongs to.
CREATE VIEW monitoring.mart_seller AS
SELECT s.seller_id, s.unit_id, s.display_name
FROM (
    SELECT x.seller_id, x.unit_id, x.display_name,
           ROW_NUMBER() OVER (PARTITION BY x.seller_id ORDER BY x.updated_at DESC) AS version_rank
    FROM monitoring.stg_sellers x
) s
WHERE s.version_rank = 1
