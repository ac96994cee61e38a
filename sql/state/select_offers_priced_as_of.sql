-- Offers whose price at :as_of the store can show: the staged version whose interval holds :as_of. An offer
-- whose earliest staged version is later (a backfill over a source that keeps only the latest price) is not
-- priced for a day before it: nothing is claimed that the source cannot show.
SELECT f.offer_id, f.seller_id, f.title, f.category_code, f.unit, f.unit_price_rial, f.nesieh_months,
       f.nesieh_unit_price_rial, f.promised_quality, f.promised_lead_days, f.stock_qty, f.status,
       f.created_at, f.updated_at
FROM monitoring.stg_offers f
WHERE f.updated_at < :as_of AND (f.valid_to IS NULL OR f.valid_to >= :as_of)
