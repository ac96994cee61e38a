-- The last instant, before :as_of and not before :since, at which any staged source row changed.
SELECT MAX(updated_at) AS updated_at
FROM (
    SELECT MAX(updated_at) AS updated_at FROM monitoring.stg_sellers
    WHERE updated_at < :as_of AND updated_at >= :since
    UNION ALL
    SELECT MAX(updated_at) FROM monitoring.stg_offers WHERE updated_at < :as_of AND updated_at >= :since
    UNION ALL
    SELECT MAX(updated_at) FROM monitoring.stg_orders WHERE updated_at < :as_of AND updated_at >= :since
    UNION ALL
    SELECT MAX(updated_at) FROM monitoring.stg_deliveries WHERE updated_at < :as_of AND updated_at >= :since
) changes
