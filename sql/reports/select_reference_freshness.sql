-- The newest day the reference data was loaded as of.
SELECT MAX(l.as_of_day) AS as_of_day FROM ref.reference_load l
