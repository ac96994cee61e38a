-- Each category code of the staged offers and how many offer versions carry it (weights of the price partitions).
SELECT f.category_code, COUNT(*) AS offers FROM monitoring.stg_offers f GROUP BY f.category_code
